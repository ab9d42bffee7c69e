"""The whole loop on a tiny permutation world: report contract, resume after SIGKILL gives the same numbers."""

import json

import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.config import load_config
from ida.cycle import execute
from ida.run import start_run
from ida.progress import RunProgress
from ida.reporting.capability import build_report
from tests.kill_run import kill_after
from tests.tiny import tiny

TINY = tiny("distill.steps=150", "distill.batch_size=32", "distill.lr=0.003", "max_cycles=3",
            "eval.baseline_steps=200", embd=64)


def tiny_run(tmp_path, extra=()):
    run = start_run(load_config(None, TINY + list(extra)), tmp_path, RunProgress(quiet=True))
    execute(run)
    return run


@pytest.mark.slow
def test_report_json_contract(tmp_path):
    run = tiny_run(tmp_path)
    result = CliRunner().invoke(app, ["report", str(run.dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"run_id", "task", "status", "reason", "cycles", "baseline", "oversight"}
    # review.policy none: every target is the model's, nobody reviewed it (issue 21's provenance)
    assert [o["index"] for o in report["oversight"]] == [1, 2, 3]
    assert all(o["provenance"]["verified"] == o["provenance"]["propagated"] == 0 < o["provenance"]["model"]
               for o in report["oversight"])
    assert (report["task"], report["status"], report["run_id"]) == ("permutation", "finished", run.id)
    assert report["reason"] is None
    assert [c["index"] for c in report["cycles"]] == [1, 2, 3]
    for c in report["cycles"]:
        assert set(c) == {"index", "student", "amplified", "frontier", "train_examples", "train_steps", "seconds",
                          "window", "filters"}
        # the default curriculum (all): every train difficulty; the truncation filter is always counted
        assert c["window"] == {"kind": "all", "low": 1, "high": 4, "estimated_frontier": None}
        assert set(c["filters"]) == {"truncated"}
        assert {"student", "amplified", "change"} <= set(c["frontier"]) and 0 <= c["frontier"]["student"] <= 4
        assert set(c["student"]) == set(c["amplified"]) == {"1", "2", "3", "4"}
        assert all(0.0 <= v <= 1.0 for v in c["student"].values())
        # distill.stop_when_fit (on by default) ends a cycle at a check (every 50 steps) once its targets are fit
        assert c["train_steps"] in (50, 100, 150) and c["train_examples"] > 0 and c["seconds"] > 0
    assert report["baseline"]["train_steps"] in (50, 100, 150, 200)
    assert set(report["baseline"]["supervised"]) == {"1", "2", "3", "4"}
    assert (run.dir / "capability.png").stat().st_size > 10_000
    assert (run.dir / "cycle-3" / "checkpoint" / "model.safetensors").exists()
    # H answers k=1 itself, so cycle 1's targets at difficulty 1 are all right and the student learns them.
    assert report["cycles"][-1]["student"]["1"] >= 0.5


def test_examples_keep_their_graph_and_provenance(tmp_path):
    run = tiny_run(tmp_path, ["max_cycles=1", "eval.baseline=false"])
    rows = run.store.examples(run.id, 1)
    hard = next(r for r in rows if r.difficulty == 4)
    assert hard.provenance["model_version"] == "M0"
    nodes = hard.graph["nodes"]
    # M_0 answers garbage, so H stops after the first subquestion perm x ^ 2 (or asks both when it parses).
    assert nodes[1]["text"].endswith("^ 2") and nodes[1]["answered_by"] in ("M0", "memo:M0") and 2 <= len(nodes) <= 3
    dataset = (run.dir / "cycle-1" / "dataset.jsonl").read_text().splitlines()
    assert len(dataset) == run.store.phase_result(run.id, 1, "review")["train_examples"]


def test_simulated_overseer_keeps_only_right_targets(tmp_path):
    run = tiny_run(tmp_path, ["max_cycles=1", "eval.baseline=false", "review.policy=simulated"])
    rows = [r for r in run.store.examples(run.id, 1) if r.verdict is not None]
    assert rows and all((r.verdict == "accept") == (r.answer == r.true_answer) for r in rows)


def _numbers(report):
    cycles = [(c["student"], c["amplified"], c["train_examples"]) for c in report["cycles"]]
    return cycles, report["baseline"]["supervised"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run that every kill scenario is compared with."""
    return build_report(tiny_run(tmp_path_factory.mktemp("ref")).dir)


@pytest.mark.slow  # tests/reliability/test_kill_resume.py kills at every named point; this kills at random times
@pytest.mark.parametrize("phases, delay", [(0, 0.3), (2, 0.2), (8, 0.05), (15, 0.1)])
def test_sigkill_then_resume_completes_with_the_same_numbers(tmp_path, reference, phases, delay):
    run_dir = kill_after(tmp_path / "killed", TINY, phases, delay, timeout=120)
    result = CliRunner().invoke(app, ["resume", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    resumed = build_report(run_dir)
    assert resumed["status"] == "finished" and _numbers(resumed) == _numbers(reference)
    assert not list(run_dir.rglob("*.tmp"))


def test_cli_rejects_a_bad_config_before_any_work(tmp_path):
    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path), "--set", "distill.steps=-1"])
    assert result.exit_code == 2 and "distill.steps" in result.output and not list(tmp_path.iterdir())
