"""The frontier measure (pure, in the monitors, the tripwire and the report), self-improvement by majority vote,
the supervised baseline's cache, and the addition task's bad-input checks at run start."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ida.amplify import AmplifiedExample, majority
from ida.cli import app
from ida.config import ConfigError, SafetyConfig, load_config
from ida.cycle import execute
from ida.evaluate import frontier, frontier_record
from ida.progress import RunProgress
from ida.reporting.capability import build_report
from ida.run import start_run
from ida.safety import check_tripwires
from ida.tasks import UNKNOWN, Question
from decomposition import SubquestionGraph

ADDITION = ["task.name=addition", "task.params={max_digits: 2, eval_max_digits: 3, eval_per_difficulty: 4, "
            "n_train: 40}", "model.n_layer=1", "model.n_embd=32", "model.n_head=2", "model.max_answer_tokens=4",
            "model.n_positions=32", "distill.steps=20", "distill.batch_size=16", "max_cycles=1",
            "eval.baseline_steps=20", "safety.probe_size=8", "safety.retention_size=8"]


def test_frontier_is_the_largest_difficulty_reached_with_every_easier_one():
    assert frontier({1: 1.0, 2: 0.95, 3: 0.5, 4: 1.0}) == 2  # a lucky d=4 above a failed d=3 does not count
    assert frontier({"1": 0.9, "2": 0.9}) == 2 and frontier({"1": 0.89, "2": 1.0}) == 0 and frontier({}) == 0
    assert frontier({1: 0.6, 2: 0.5}, threshold=0.5) == 2
    record = frontier_record({"1": 1.0, "2": 1.0, "3": 0.25, "4": 0.0}, {"1": 1.0, "2": 1.0, "3": 1.0}, before=1,
                             trained_max=2)
    assert record == {"student": 2.0, "amplified": 3.0, "change": 1.0, "extrapolation": 0.125, "trained_max": 2.0}
    assert "extrapolation" not in frontier_record({"1": 1.0}, {}, before=None, trained_max=1)


def test_frontier_jump_tripwire_is_off_by_default_and_trips_above_its_threshold():
    values = {"frontier": {"student": 4.0, "change": 2.0}}
    assert check_tripwires(SafetyConfig(), 2, values) == []
    assert check_tripwires(SafetyConfig(max_frontier_jump=2), 2, values) == []
    [alert] = check_tripwires(SafetyConfig(max_frontier_jump=1), 2, values)
    assert (alert.tripwire, alert.monitor, alert.key, alert.value) == ("frontier_jump", "frontier", "change", 2.0)
    assert "safety.max_frontier_jump" in alert.message


def _example(answer, i=0):
    return AmplifiedExample(Question("q", "1 + 2 + 0", 1, "addition"), answer, SubquestionGraph("1 + 2 + 0"),
                            {"model_version": f"M0~sample{i}"})


def test_majority_vote_keeps_an_agreed_answer_and_drops_the_rest():
    q = _example(None).question
    kept = majority(q, [_example("3 0", 0), _example("4 0", 1), _example("3 0", 2)], min_agreement=0.6)
    assert kept.answer == "3 0" and kept.provenance["vote"] == {"samples": 3, "agreement": 2 / 3, "kept": True}
    assert kept.provenance["model_version"] == "M0~sample0"
    dropped = majority(q, [_example("3 0"), _example("4 0"), _example(UNKNOWN)], min_agreement=0.6)
    assert dropped.answer == UNKNOWN and not dropped.usable and dropped.provenance["vote"]["kept"] is False
    # unknown and failed answers count against the agreement, never as a candidate
    assert majority(q, [_example(UNKNOWN), _example(None), _example("3 0")], 0.3).answer == "3 0"
    assert majority(q, [_example(UNKNOWN), _example(UNKNOWN)], 0.5).answer == UNKNOWN


@pytest.mark.parametrize("override,field", [("amplify.vote={samples: 1}", "amplify.vote.samples"),
                                            ("amplify.vote={min_agreement: 0}", "amplify.vote.min_agreement"),
                                            ("amplify.vote={min_agreement: 1.01}", "amplify.vote.min_agreement"),
                                            ("amplify.vote={temperature: 0}", "amplify.vote.temperature"),
                                            ("amplify.leaves_by_h=true", "amplify.leaves_by_h: only used")])
def test_bad_vote_settings_are_config_errors_naming_the_field(override, field):
    with pytest.raises(ConfigError, match=field):
        load_config(None, [override])


@pytest.mark.parametrize("overrides,field", [
    (["task.params={max_digits: 0}"], "max_digits"), (["model.max_answer_tokens=3"], "model.max_answer_tokens"),
    (["task.params={max_digits: 2, eval_max_digits: 9}", "model.max_answer_tokens=10"],
     "task.params.eval_max_digits")])
def test_addition_parameters_out_of_range_fail_at_start_naming_them(tmp_path, overrides, field):
    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path), "--quiet", *sum(
        (["--set", o] for o in [*ADDITION, *overrides]), [])])
    assert result.exit_code == 2 and field in result.output, result.output
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.slow
def test_addition_run_with_a_vote_records_frontier_votes_and_reuses_the_cached_baseline(tmp_path):
    vote = ["amplify.vote={samples: 2, temperature: 1.0, min_agreement: 1.0}"]
    run = start_run(load_config(None, ADDITION + vote), tmp_path, RunProgress(quiet=True))
    assert execute(run) == "finished"
    amplify = run.store.phase_result(run.id, 1, "amplify")
    assert amplify["vote"]["samples"] == 2 and amplify["vote"]["kept"] + amplify["vote"]["dropped"] == 40
    assert amplify["vote"]["kept"] >= 1  # H answers one-digit sums itself: both passes agree on those
    rows = run.store.examples(run.id, 1)
    assert sum(r.provenance["vote"]["kept"] for r in rows) == amplify["vote"]["kept"]
    review = run.store.phase_result(run.id, 1, "review")
    assert review["train_examples"] == amplify["vote"]["kept"]  # dropped examples are never training targets
    report = build_report(run.dir)
    assert set(report["cycles"][0]["frontier"]) >= {"student", "amplified", "change", "extrapolation"}
    monitors = run.store.metrics(run.id, "frontier")[1]["frontier"]
    assert monitors["trained_max"] == 2 and monitors == report["cycles"][0]["frontier"]
    first = run.store.phase_result(run.id, 0, "baseline")
    assert "reused_from" not in first and list((tmp_path / ".cache" / "baseline").iterdir())

    again = start_run(load_config(None, ADDITION), tmp_path, RunProgress(quiet=True))
    assert execute(again) == "finished"
    second = again.store.phase_result(again.id, 0, "baseline")
    assert second["reused_from"] and second["checkpoint_sha256"] == first["checkpoint_sha256"]
    assert again.store.metrics(again.id, "supervised") == run.store.metrics(run.id, "supervised")
    assert (again.dir / "baseline" / "checkpoint" / "model.safetensors").read_bytes() == \
        (run.dir / "baseline" / "checkpoint" / "model.safetensors").read_bytes()

    changed = start_run(load_config(None, [*ADDITION, "eval.baseline_steps=21"]), tmp_path, RunProgress(quiet=True))
    execute(changed)
    assert "reused_from" not in changed.store.phase_result(changed.id, 0, "baseline")
    off = start_run(load_config(None, [*ADDITION, "eval.baseline_cache=false"]), tmp_path, RunProgress(quiet=True))
    execute(off)
    assert "reused_from" not in off.store.phase_result(off.id, 0, "baseline")
    out = CliRunner().invoke(app, ["report", str(again.dir), "--json"])
    assert out.exit_code == 0 and "frontier" in json.loads(out.output)["cycles"][0]


@pytest.mark.slow
def test_direct_vote_with_h_leaves_is_self_improvement(tmp_path):
    cfg = ["amplify.decomposer=direct", "amplify.leaves_by_h=true", "eval.baseline=false",
           "amplify.vote={samples: 3, min_agreement: 0.6}"]
    run = start_run(load_config(None, ADDITION + cfg), tmp_path, RunProgress(quiet=True))
    execute(run)
    rows = run.store.examples(run.id, 1)
    one_digit = [r for r in rows if r.difficulty == 1]
    assert one_digit and all(r.answer == r.true_answer for r in one_digit)  # H's own answers
    assert all(r.provenance["vote"]["agreement"] == 1.0 for r in one_digit)
    longer = [r for r in rows if r.difficulty == 2]
    assert longer and all(r.graph["nodes"][1]["text"] == r.prompt[:-2] for r in longer
                          if len(r.graph["nodes"]) > 1)


def test_report_recomputes_the_frontier_of_runs_without_the_monitor():
    from ida.reporting.capability import _frontier

    first = _frontier({"student": {"1": 1.0, "2": 0.5}, "amplified": {"1": 1.0, "2": 1.0}}, [], 1, 0.9)
    assert first == {"student": 1.0, "amplified": 2.0, "change": 1.0, "extrapolation": 0.5, "trained_max": 1.0}
    second = _frontier({"student": {"1": 1.0, "2": 1.0}}, [{"frontier": first}], 2, 0.9)
    assert second == {"student": 2.0, "change": 1.0}
    stored = {"student": 3.0, "change": 2.0}
    assert _frontier({"frontier": stored, "student": {}}, [], None, 0.9) is stored
