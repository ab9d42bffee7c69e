"""Whole runs on a PostgreSQL store (a real server, tests/pg_server.py): the same numbers as on SQLite for the same
seed; SIGKILL inside a phase's transaction and between phases, then `ida resume`, gives them again; two resumes
from two run dirs (two hosts) sharing the store: one refused by the advisory run lock; bad store URLs and an
unreachable server are one line before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reliability_helpers import run_args
from ida.cycle import PHASES
from ida.run import read_run
from test_kill_resume import numbers, the_run

pytestmark = pytest.mark.slow


def pg_args(root: Path, url: str) -> list[str]:
    return run_args(root, [f"store.url={url}", "eval.baseline_cache=false"])


@pytest.fixture(scope="module")
def reference(zygote, tmp_path_factory):
    """The SQLite run: what every PostgreSQL run below must reproduce."""
    root = tmp_path_factory.mktemp("sqlite-reference")
    [(rc, out)] = zygote.run((run_args(root, ["eval.baseline_cache=false"]), {}))
    assert rc == 0, out
    return numbers(the_run(root))


def test_a_postgres_run_gives_the_sqlite_numbers(zygote, reference, pg_server, tmp_path):
    url = pg_server.fresh_url()
    [(rc, out)] = zygote.run((pg_args(tmp_path, url), {}))
    assert rc == 0, out
    run_dir = the_run(tmp_path)
    assert not (run_dir / "ida.sqlite").exists()  # every table is in the server
    assert numbers(run_dir) == reference


# inside every phase's final transaction (the kill comes before its commit), and between two phases
@pytest.mark.parametrize("point", [f"commit:1:{phase}" for phase in PHASES] + ["before:2:distill"])
def test_kill_then_resume_on_postgres_gives_the_same_numbers(zygote, reference, pg_server, tmp_path, point):
    url = pg_server.fresh_url()
    [(rc, out)] = zygote.run((pg_args(tmp_path, url), {"IDA_KILL_AT": point}))
    assert rc == -9, out
    run_dir = the_run(tmp_path)
    from ida.reporting.capability import build_report

    assert build_report(run_dir)["status"] == "interrupted"  # nobody holds the advisory lock
    [(rc, out)] = zygote.run((["resume", str(run_dir), "--quiet"], {}))
    assert rc == 0 and "Traceback" not in out, out
    assert numbers(run_dir) == reference


def test_two_hosts_resuming_one_postgres_run_one_is_refused(zygote, reference, pg_server, tmp_path):
    url = pg_server.fresh_url()
    [(rc, _)] = zygote.run((pg_args(tmp_path / "a", url), {"IDA_KILL_AT": "before:1:distill"}))
    assert rc == -9
    host_a = the_run(tmp_path / "a")
    host_b = tmp_path / "b" / host_a.name  # another host's copy of the run dir (checkpoints, config), no lock file
    shutil.copytree(host_a, host_b, ignore=shutil.ignore_patterns("run.lock"))
    (a_rc, a_out), (b_rc, b_out) = zygote.run((["resume", str(host_a), "--quiet"], {}),
                                              (["resume", str(host_b), "--quiet"], {}))
    assert sorted([a_rc, b_rc]) == [0, 2], (a_out, b_out)
    refused = a_out if a_rc == 2 else b_out
    assert "being written by process" in refused and "it holds the run's lock in postgresql://" in refused
    assert "Traceback" not in refused
    done = host_a if a_rc == 0 else host_b
    assert numbers(done) == reference
    record = read_run(done)
    kinds = [e["kind"] for e in record.store.events()]
    record.store.close()
    assert kinds.count("phase_done") == 2 * len(PHASES) + 1  # every phase exactly once


def test_bad_store_urls_are_one_line_and_write_nothing(zygote, pg_server, tmp_path):
    from pg_server import free_port

    cases = {f"postgresql://ida@127.0.0.1:{free_port()}/ida": "cannot connect",
             "postgresql://ida:s3cret@127.0.0.1:5432/ida": "holds a password",
             "postgres://ida@127.0.0.1:5432": "names no database"}
    for url, says in cases.items():
        root = tmp_path / says.replace(" ", "_")
        [(rc, out)] = zygote.run((pg_args(root, url), {}))
        assert rc == 2 and says in out and "s3cret" not in out and "Traceback" not in out, out
        assert not root.exists() or not any(root.iterdir()), out  # nothing written
    taken = pg_server.fresh_url()
    [(rc, out)] = zygote.run((pg_args(tmp_path / "first", taken), {"IDA_KILL_AT": "before:1:amplify"}))
    [(rc, out)] = zygote.run((pg_args(tmp_path / "second", taken), {}))
    assert rc == 2 and "already holds run" in out, out


def test_two_gloo_processes_distill_a_postgres_run_cycle(zygote, pg_server, tmp_path):
    """The README's multi-process distillation on a run whose store is PostgreSQL: its config (store.url
    included) loads in both ranks, which train over gloo; only the driver ever touches the store."""
    import json
    import subprocess
    import sys

    [(rc, out)] = zygote.run((pg_args(tmp_path, pg_server.fresh_url()) + ["--set", "max_cycles=1",
                                                                          "--set", "eval.baseline=false"], {}))
    assert rc == 0, out
    run_dir = the_run(tmp_path)
    from pg_server import free_port

    done = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                           "--main_process_port", str(free_port()), "-m", "ida.distill.launch",
                           "--config", str(run_dir / "config.yaml"),
                           "--checkpoint", str(run_dir / "cycle-0" / "checkpoint"),
                           "--dataset", str(run_dir / "cycle-1" / "dataset.jsonl"), "--out", str(tmp_path / "M1"),
                           "--set", "distill.steps=6"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "M1" / "train_result.json").read_text())
    assert (result["steps"], result["processes"]) == (6, 2)
