"""A cycle script through the public API, with every plug-in given by import path: phases run one by one or a
cycle at a time, the per-phase callback, metrics and examples read back, the failing H examples recorded."""

from __future__ import annotations

import pytest

import ida

TINY = ["task.params={max_len: 2}", "model.n_layer=1", "model.n_embd=16", "model.n_head=2", "distill.steps=4",
        "distill.batch_size=4", "max_cycles=2", "eval.baseline_steps=4", "tracking.plot=false"]


@pytest.mark.slow
def test_a_cycle_script_with_plugins_by_import_path(tmp_path):
    import plugin_parts

    config = ida.load_config(None, [*TINY, "task.name=plugin_parts:BadPrograms",
                                    "amplify.decomposer=plugin_parts:OwnDecomposer",
                                    "review.policy=plugin_parts:AcceptAll",
                                    "distill.objective=plugin_parts:counted_sft"])
    run = ida.start_run(config, tmp_path, ida.RunProgress(quiet=True))
    seen: list[tuple[int, str]] = []
    hook = lambda r, cycle, phase, result: seen.append((cycle, phase)) or result  # noqa: E731
    for phase in ida.PHASES[:3]:  # cycle 1 one phase at a time
        assert ida.run_phase(run, 1, phase, on_phase_end=hook)
    before = plugin_parts.CALLS["loss"]
    assert before >= 4  # the objective plug-in computed every distillation step's loss
    assert ida.run_cycle(run, 1, on_phase_end=hook)  # the rest of cycle 1
    assert ida.execute(run, on_phase_end=hook) == "finished"  # cycle 2 and the baseline
    assert seen == [(1, p) for p in ida.PHASES] + [(2, p) for p in ida.PHASES] + [(0, "baseline")]

    amplify = run.phase_results()[1]["amplify"]  # typed (ida.results.AmplifyResult)
    assert amplify.overseer == "H:own:M0" and amplify.failed == 3
    assert set(amplify.failure_reasons) == {"ones:00", "ones:01", "ones:10"}
    assert run.phase_results()[1]["review"].accepted_by_plugin == amplify.usable >= 2  # a plug-in's own count
    examples = {e.question_id: e for e in run.examples(1)}
    assert examples["ones:00"].answer is None and "H has a bug" in examples["ones:00"].provenance["error"]
    assert set(run.metrics("student")) == {1, 2} and set(run.metrics("supervised")) == {0}
    assert set(run.metrics()[2]["student"]) == {"1", "2"}
    report = ida.report(run.dir)
    assert [c["index"] for c in report["cycles"]] == [1, 2] and report["status"] == "finished"
    assert ida.open_run(run.dir).config.task.name == "plugin_parts:BadPrograms"
