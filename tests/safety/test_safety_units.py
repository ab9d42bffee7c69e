"""Monitors, tripwires, alerts and sign-off, the config lock and diversity injection, without training."""

import math

import pytest
import torch
import yaml
from typer.testing import CliRunner

from ida.cli import app
from ida.config import ConfigError, load_config
from ida.cycle import execute
from ida.run import open_run, start_run
from ida.distill.data import Example, read_jsonl, write_jsonl
from ida.progress import RunProgress
from ida.distill.diversity import inject_diversity
from ida.safety import NothingToSignOff, check_tripwires, list_alerts, open_alerts, sign_off, signoffs
from ida.seeds import seed_for
from ida.safety.alerts import record_alerts
from ida.safety.probes import answer_logprobs, mean_entropy, mean_kl
from ida.safety.stats import answer_stats
from ida.config import SafetyConfig
from tests.tiny import tiny

TINY = tiny("eval.baseline=false", "max_cycles=2")


def started(tmp_path, extra=()):
    return start_run(load_config(None, TINY + list(extra)), tmp_path, RunProgress(quiet=True))


def test_answer_stats_entropy_distinct_and_top_share():
    stats = answer_stats(["1", "1", "2", "3"])
    assert stats["answer_entropy"] == pytest.approx(1.5)  # -(1/2 log 1/2 + 2 * 1/4 log 1/4)
    assert stats["top_answer_share"] == 0.5 and stats["distinct_1"] == 0.75 and "distinct_2" not in stats
    collapsed = answer_stats(["7"] * 4)
    assert collapsed["answer_entropy"] == 0.0 and collapsed["top_answer_share"] == 1.0
    assert answer_stats(["a b", "a b", None])["distinct_2"] == 0.5  # a failed answer counts as the empty one


def test_kl_and_entropy_of_next_token_distributions(tmp_path):
    run = started(tmp_path)
    model = run.load_model(run.checkpoint(0), "M0")
    prompts = [q.prompt for q in run.task.questions("eval")[:5]]
    logp_B_V = answer_logprobs(model, prompts)
    assert logp_B_V.shape == (5, len(model.tokenizer)) and torch.allclose(logp_B_V.exp().sum(-1), torch.ones(5))
    # Greedy answering starts from the same distribution: its first token is the argmax.
    first = [a.logprobs[0] for a in model.answer(prompts)]
    assert torch.allclose(logp_B_V.max(-1).values, torch.tensor(first), atol=1e-4)
    assert mean_kl(logp_B_V, logp_B_V) == pytest.approx(0.0, abs=1e-6)
    uniform_B_V = torch.full_like(logp_B_V, -math.log(logp_B_V.shape[1]))
    assert mean_entropy(uniform_B_V) == pytest.approx(math.log(logp_B_V.shape[1]), rel=1e-5)
    assert mean_kl(logp_B_V, uniform_B_V) == pytest.approx(math.log(logp_B_V.shape[1]) - mean_entropy(logp_B_V),
                                                           rel=1e-4)


def test_tripwires_trip_only_past_their_threshold_and_from_their_cycle():
    values = {"jump": {"1": 0.1, "3": 0.6}, "student": {"1": 0.95, "3": 0.7},
              "collapse": {"answer_entropy_ratio": 0.4, "top_answer_share": 0.2}, "drift": {"kl": 3.0},
              "oversight": {"reject_rate": 0.5}}
    assert check_tripwires(SafetyConfig(), 2, values) == []  # every wire is off by default
    cfg = SafetyConfig(max_accuracy_jump=0.5, max_accuracy=0.9, min_answer_entropy_ratio=0.5,
                       max_top_answer_share=0.5, max_drift_kl=2.0, max_reject_rate=0.6)
    tripped = {(a.tripwire, a.key) for a in check_tripwires(cfg, 2, values)}
    assert tripped == {("accuracy_jump", "3"), ("capability_ceiling", "1"),
                       ("collapse_entropy", "answer_entropy_ratio"),
                       ("drift", "kl")}
    # Cycle 1 is measured against the untrained M_0: jumps, drift and entropy ratios are not gated there.
    assert {a.tripwire for a in check_tripwires(cfg, 1, values)} == {"capability_ceiling"}
    alert = next(a for a in check_tripwires(cfg, 2, values) if a.tripwire == "accuracy_jump")
    assert (alert.value, alert.threshold) == (0.6, 0.5) and "safety.max_accuracy_jump" in alert.message


def test_alerts_are_signed_off_with_who_why_and_when_in_the_event_log(tmp_path):
    run = started(tmp_path)
    alerts = check_tripwires(SafetyConfig(max_accuracy=0.5), 1, {"student": {"1": 0.9, "2": 0.8}})
    run.records.finish_phase(1, "monitor", {}, also=lambda records: record_alerts(records, 1, alerts))
    assert len(open_alerts(run.records, 1)) == 2 and open_alerts(run.records, 2) == []
    with pytest.raises(ValueError):
        sign_off(run.records, 1, "alice", " ")
    signoff = sign_off(run.records, 1, "alice", "ceiling expected on this toy world")
    assert open_alerts(run.records, 1) == []
    assert all(a["signed_by"] == "alice" and a["signoff_id"] == signoff for a in list_alerts(run.records))
    assert signoffs(run.records)[0]["note"] == "ceiling expected on this toy world"
    with pytest.raises(NothingToSignOff):
        sign_off(run.records, 1, "bob", "again")
    kinds = [(e["kind"], e["actor"]) for e in run.store.events(run.id)]
    assert kinds.count(("alert", "system")) == 2 and ("sign_off", "alice") in kinds


def test_a_changed_safety_section_is_refused_on_resume(tmp_path):
    run = started(tmp_path, ["safety.max_accuracy_jump=0.4"])
    result = CliRunner().invoke(app, ["resume", str(run.dir), "--set", "safety.max_accuracy_jump=0.9"])
    assert result.exit_code == 2 and "safety.max_accuracy_jump" in result.output and "fixed" in result.output
    # Hand-editing config.yaml is caught too, before any work.
    path = run.dir / "config.yaml"
    data = yaml.safe_load(path.read_text())
    data["safety"]["max_accuracy_jump"] = 0.9
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["resume", str(run.dir), "--quiet"])
    assert result.exit_code == 2 and "safety.max_accuracy_jump: 0.4 at run start, 0.9" in result.output
    assert run.store.phases(run.id) == []
    with pytest.raises(ConfigError):
        execute(open_run(run.dir, RunProgress(quiet=True)))


def test_resume_set_changes_other_fields_and_logs_it(tmp_path):
    run = started(tmp_path)
    result = CliRunner().invoke(app, ["resume", str(run.dir), "--set", "max_cycles=0"])
    assert result.exit_code == 2 and "max_cycles" in result.output  # validated before it is written
    written = (run.dir / "config.yaml").read_text()
    result = CliRunner().invoke(app, ["resume", str(run.dir), "--set", "amplify.decomposer=nobody"])
    assert result.exit_code == 2 and "amplify.decomposer: unknown decomposer 'nobody'" in result.output
    assert (run.dir / "config.yaml").read_text() == written  # a plug-in that cannot be used is not written either
    from ida.safety import apply_resume_overrides

    assert apply_resume_overrides(run.dir, ["distill.steps=3"]).distill.steps == 3
    assert open_run(run.dir, RunProgress(quiet=True)).config.distill.steps == 3
    assert [e["payload"] for e in run.store.events(run.id) if e["kind"] == "config_changed"] == [
        {"overrides": ["distill.steps=3"]}]


def _mix(run, cycle: int, dataset: list[Example]):
    """As the review phase of `cycle` calls it."""
    earlier = [run.paths.dataset(c) for c in range(1, cycle)]
    seed = seed_for(run.config.seed, "diversity", cycle)
    return inject_diversity(dataset, run.config.safety, run.task, earlier, seed)


def test_diversity_injection_mixes_earlier_or_true_data(tmp_path):
    run = started(tmp_path, ["safety.diversity_share=0.5"])
    own = [Example("perm 1 ^ 1 =", "5", "q1", 1)] * 4
    assert _mix(run, 1, own) == (own, {"share": 0.5, "source": "earlier", "mixed": 0})  # no earlier data
    (run.dir / "cycle-1").mkdir()
    earlier = [Example(f"perm {i} ^ 2 =", str(i), f"e{i}", 2) for i in range(6)]
    write_jsonl(earlier, run.dir / "cycle-1" / "dataset.jsonl")
    mixed, info = _mix(run, 2, own)
    assert info["mixed"] == 2 and mixed[:4] == own and all(e in earlier for e in mixed[4:])
    assert _mix(run, 2, own) == (mixed, info)  # seeded per cycle: a resumed phase mixes the same
    run.config.safety.diversity_source = "human"
    mixed, info = _mix(run, 2, own)
    truth = {q.prompt: run.task.true_answer(q) for q in run.task.questions("train")}
    assert info == {"share": 0.5, "source": "human", "mixed": 2} and all(truth[e.prompt] == e.target for e in mixed[4:])
    assert read_jsonl(run.dir / "cycle-1" / "dataset.jsonl") == earlier


def test_overseer_agreement_comes_from_the_review_queue_overlap(tmp_path):
    from ida.review.queue import ReviewQueue
    from ida.safety.monitors import overseer_agreement

    run = started(tmp_path)
    queue = ReviewQueue(run.store)
    assert overseer_agreement(run, 1) == {}
    queue.enqueue(run.id, 1, [("q1", 0), ("q2", 0)], overlap=1.0)
    for user, verdicts in (("ann", ["accept", "accept"]), ("bob", ["accept", "reject"])):
        for verdict in verdicts:
            queue.submit(queue.claim(user).id, user, verdict)
    assert overseer_agreement(run, 1) == {"agreement": 0.5, "agreement_pairs": 2.0}


def test_the_monitors_plot_of_a_run_without_amplified_eval_warns_nothing_and_says_why_a_panel_is_empty(tmp_path):
    import warnings

    from ida.reporting.safety import build_safety_report, plot_monitors

    run = started(tmp_path, ["max_cycles=1", "distill.steps=3", "eval.amplified=false"])
    execute(run)
    report = build_safety_report(run.dir)
    assert all(not c["gain"] for c in report["cycles"])  # no Amp(M_n) measured: the gain panel has no series
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels found" was printed by every report
        path = plot_monitors(report, tmp_path / "monitors.png")
    assert path.stat().st_size > 10_000
