"""SIGKILL at every phase boundary, inside each phase's final transaction, mid checkpoint swap, mid dataset and
config rewrite, and during start-up; then `ida resume` (or, for start-up, a new `ida run`) gives the numbers of
one uninterrupted reference run. The kills are exact: `IDA_KILL_AT` names the point (ida/faults.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability_helpers import run_args
from ida.cycle import PHASES
from ida.reporting.capability import build_report
from ida.run import read_run

pytestmark = pytest.mark.slow

POINTS = ([f"{when}:{c}:{p}" for c in (1, 2) for p in PHASES for when in ("before", "commit")]
          + ["before:0:baseline", "commit:0:baseline", "checkpoint:cycle-1:swap", "checkpoint:baseline:swap",
             "atomic:dataset.jsonl", "before:finish"])
STARTUP = ["startup:store", "startup:built"]


def the_run(root: Path) -> Path:
    """The run folder under `root` (not the start-up temp folders nor the baseline cache, `.cache`)."""
    [run_dir] = [p for p in root.iterdir() if not p.name.startswith(".")]
    return run_dir


def numbers(run_dir: Path) -> dict:
    """Everything a resumed run must reproduce: accuracies, datasets, checkpoints (hashes), baseline."""
    report = build_report(run_dir)
    record = read_run(run_dir)
    try:
        phases = {(p["cycle"], p["phase"]): p["result"] for p in record.store.phases(record.id)}
    finally:
        record.store.close()
    hashes = {k: (r.get("dataset_sha256"), r.get("checkpoint_sha256"), r.get("train_examples"))
              for k, r in phases.items() if k[1] in ("review", "distill", "baseline")}
    return {"status": report["status"], "cycles": [(c["student"], c["amplified"], c["train_examples"])
                                                   for c in report["cycles"]],
            "baseline": report["baseline"]["supervised"], "hashes": hashes}


@pytest.fixture(scope="module")
def reference(zygote, tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    [(rc, out)] = zygote.run((run_args(root), {}))
    assert rc == 0, out
    return numbers(the_run(root))


def killed_run(zygote, root: Path, point: str) -> Path:
    [(rc, out)] = zygote.run((run_args(root), {"IDA_KILL_AT": point}))
    assert rc == -9, f"{point}: not killed (rc {rc}):\n{out}"
    return the_run(root)


def resume(zygote, run_dir: Path, *extra: str, env: dict | None = None) -> tuple[int, str]:
    [(rc, out)] = zygote.run((["resume", str(run_dir), "--quiet", *extra], env or {}))
    return rc, out


@pytest.mark.parametrize("pair", [POINTS[i:i + 2] for i in range(0, len(POINTS), 2)],
                         ids=lambda pair: "+".join(pair))
def test_kill_then_resume_gives_the_reference_numbers(zygote, reference, tmp_path, pair):
    # two scenarios at once: two cores
    roots = [tmp_path / f"s{i}" for i in range(len(pair))]
    results = zygote.run(*[(run_args(root), {"IDA_KILL_AT": point}) for root, point in zip(roots, pair)])
    for (rc, out), point in zip(results, pair):
        assert rc == -9, f"{point}: not killed (rc {rc}):\n{out}"
    dirs = [the_run(root) for root in roots]
    for d in dirs:
        assert build_report(d)["status"] == "interrupted"  # stored running, nobody holds the lock
    for (rc, out), point in zip(zygote.run(*[(["resume", str(d), "--quiet"], {}) for d in dirs]), pair):
        assert rc == 0 and "Traceback" not in out, f"{point}:\n{out}"
    for d, point in zip(dirs, pair):
        assert numbers(d) == reference, point
        assert not [p for p in d.rglob("*.tmp")], point  # no temp file or folder left behind


@pytest.mark.parametrize("point", STARTUP)
def test_kill_during_startup_leaves_no_half_run(zygote, reference, tmp_path, point):
    [(rc, _)] = zygote.run((run_args(tmp_path), {"IDA_KILL_AT": point}))
    assert rc == -9
    assert [p.name.startswith(".") and p.name.endswith(".tmp") for p in tmp_path.iterdir()] == [True]
    [(rc, out)] = zygote.run((run_args(tmp_path), {}))  # a new run in the same root: the dead start-up is cleared
    assert rc == 0, out
    assert not list(tmp_path.glob(".*.tmp"))
    assert numbers(the_run(tmp_path)) == reference


def test_kill_mid_config_rewrite_keeps_a_whole_config(zygote, reference, tmp_path):
    run_dir = killed_run(zygote, tmp_path, "before:2:amplify")
    before = (run_dir / "config.yaml").read_bytes()
    rc, _ = resume(zygote, run_dir, "--set", "distill.batch_size=16", env={"IDA_KILL_AT": "atomic:config.yaml"})
    assert rc == -9 and (run_dir / "config.yaml").read_bytes() == before  # the old config, whole
    rc, out = resume(zygote, run_dir)
    assert rc == 0, out
    assert numbers(run_dir) == reference


def test_concurrent_resumes_one_is_refused(zygote, reference, tmp_path):
    run_dir = killed_run(zygote, tmp_path, "before:1:distill")
    (a_rc, a_out), (b_rc, b_out) = zygote.run((["resume", str(run_dir), "--quiet"], {}),
                                              (["resume", str(run_dir), "--quiet"], {}))
    assert sorted([a_rc, b_rc]) == [0, 2], (a_out, b_out)
    refused = a_out if a_rc == 2 else b_out
    assert "being written by process" in refused and "Traceback" not in refused
    assert numbers(run_dir) == reference
    events = [e["kind"] for e in read_run(run_dir).store.events()]
    assert events.count("phase_done") == 2 * len(PHASES) + 1  # every phase exactly once: nothing ran twice
