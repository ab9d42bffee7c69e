"""The CLI on runs in states a new user meets: finished, on a read-only disk, with a data file changed since the
start, and on a disk that fills up mid-run. Each is one line and exit 2 where the user must act, and a run that
failed resumes to the same numbers as a run that never stopped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reliability_helpers import FAST
from ida.cli import app
from ida.config import load_config
from ida.cycle import execute
from ida.progress import RunProgress
from ida.run import read_run, start_run

ONE_CYCLE = FAST + ["max_cycles=1", "eval.baseline=false"]


def ida(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def report(run_dir: Path) -> dict:
    rc, out, err = ida("report", run_dir, "--json")
    assert rc == 0, err
    return json.loads(out)


def numbers(run_dir: Path) -> list[dict]:
    """The per-cycle results without wall-clock times."""
    return [{k: v for k, v in c.items() if k != "seconds"} for c in report(run_dir)["cycles"]]


def finish(overrides: list[str], root: Path) -> Path:
    run = start_run(load_config(None, overrides), root, RunProgress(quiet=True))
    assert execute(run) == "finished"
    run.store.close()
    return run.dir


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """One uninterrupted one-cycle run: the reference numbers, and a finished run to resume."""
    return finish(ONE_CYCLE, tmp_path_factory.mktemp("finished"))


def test_resuming_a_finished_run_has_nothing_to_do_and_refuses_set(finished):
    config = (finished / "config.yaml").read_bytes()
    events = len(read_run(finished).store.events())
    rc, out, _ = ida("resume", finished, "--quiet")
    assert rc == 0 and "nothing to do" in out, out  # before: the whole run was opened and walked (35 s, silent)
    rc, _, err = ida("resume", finished, "--set", "distill.steps=7")
    assert rc == 2 and "finished" in err and "ida run" in err and len(err.strip().splitlines()) == 1, err
    assert (finished / "config.yaml").read_bytes() == config  # before: rewritten silently
    assert len(read_run(finished).store.events()) == events  # no status change, no config_changed event


@pytest.fixture
def read_only(finished, tmp_path):
    """A copy of the finished run that cannot be written: a read-only bind mount for root (who writes anywhere
    else), the folder's write bits taken away for anyone else."""
    copy, view = tmp_path / "copy", tmp_path / "view"
    shutil.copytree(finished, copy)
    if os.geteuid() != 0:
        for p in [copy, *copy.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
        yield copy
        for p in [copy, *copy.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        return
    view.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(copy), str(view)], capture_output=True).returncode:
        pytest.skip("cannot mount a read-only folder here")
    try:
        yield view
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_a_read_only_run_dir_is_reported(read_only, finished):
    assert not os.access(read_only / "ida.sqlite", os.W_OK)
    assert numbers(read_only) == numbers(finished)  # before: "not a usable IDA store (unable to open ...)"
    rc, out, err = ida("report", read_only)
    assert rc == 0 and "read-only" in out, out + err


@pytest.mark.slow  # two runs
def test_a_qa_run_whose_data_file_changed_is_one_line_and_resumes_once_restored(tmp_path):
    rows = [{"id": str(i), "question": f"what is {i} plus {i}", "answer": str(2 * i), "difficulty": 1 + i % 2}
            for i in range(12)]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    qa = ["task.name=qa", f"task.params={{path: {tmp_path / 'q.jsonl'}}}", "amplify.decomposer=direct",
          "model.n_layer=1", "model.n_embd=16", "model.n_head=2", "max_cycles=1", "distill.steps=3",
          "eval.baseline=false", "cycle.on_empty=skip"]  # M_0's untrained answers never end: all truncated
    run = start_run(load_config(None, qa), tmp_path / "runs", RunProgress(quiet=True))
    run.store.close()
    run.lock.release()
    copy = run.dir / "data" / "q.jsonl"
    original = copy.read_bytes()
    copy.write_bytes(original.replace(b"plus", b"and"))
    rc, _, err = ida("resume", run.dir, "--quiet")
    assert rc == 2 and "has changed since the run started" in err and "put back" in err, err  # before: a bug, 1
    assert len(err.strip().splitlines()) == 1, err
    copy.write_bytes(original)
    rc, _, err = ida("resume", run.dir, "--quiet")
    assert rc == 0, err
    assert numbers(run.dir) == numbers(finish(qa, tmp_path / "straight"))


@pytest.mark.slow  # a run and its resume
def test_a_full_disk_is_one_line_and_the_run_resumes_to_the_same_numbers(tmp_path, monkeypatch, finished):
    """The disk fills up while cycle 1's checkpoint is written (safetensors reports it as a SafetensorError
    carrying "os error 28", not an OSError): exit 2 and what to do, the run stored as failed, then resumed."""
    import transformers.modeling_utils as modeling_utils
    from safetensors import SafetensorError

    real_save = modeling_utils.safe_save_file

    def full_disk(tensors, filename, metadata=None):
        if "cycle-1" in str(filename):
            Path(filename).write_bytes(b"\0" * 64)  # what fitted before the disk was full
            raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
        return real_save(tensors, filename, metadata=metadata)

    monkeypatch.setattr(modeling_utils, "safe_save_file", full_disk)
    args = ["run", "--run-dir", tmp_path, "--quiet", *sum([["--set", o] for o in ONE_CYCLE], [])]
    rc, _, err = ida(*args)
    assert rc == 2 and "disk is full" in err and "ida resume" in err, err  # before: exit 1, "a bug"
    assert len(err.strip().splitlines()) == 1, err
    [run_dir] = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    stored = report(run_dir)
    assert stored["status"] == "failed" and "disk is full" in stored["reason"]
    monkeypatch.setattr(modeling_utils, "safe_save_file", real_save)  # space freed
    rc, _, err = ida("resume", run_dir, "--quiet")
    assert rc == 0, err
    assert report(run_dir)["status"] == "finished" and numbers(run_dir) == numbers(finished)
