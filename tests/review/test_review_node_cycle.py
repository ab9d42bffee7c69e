"""Node review inside a real cycle: the simulated overseer reviews M_0's subanswers, the review phase recomposes
the graphs built on edited ones with the run's decomposer (asking M_0 for subquestions it never saw), records
which targets changed because of which verdict, and trains only on right targets."""

import json

import pytest

from ida.reporting import build_report

from ida.config import load_config
from ida.cycle import execute
from ida.progress import RunProgress
from ida.run import start_run
from tests.tiny import tiny

TINY = tiny("distill.steps=5", "distill.batch_size=16", "max_cycles=1", "eval.baseline=false", "eval.amplified=false",
            "review.policy=simulated", "review.unit=node", "review.sampling=uncertainty")


@pytest.mark.slow
def test_a_cycle_reviews_nodes_and_trains_on_recomposed_targets(tmp_path):
    run = start_run(load_config(None, TINY), tmp_path, RunProgress(quiet=True))
    execute(run)
    result = run.store.phase_result(run.id, 1, "review")
    assert result["unit"] == "node" and result["sampling"]["nodes"]["rule"] == "uncertainty"
    assert result["sampling"]["nodes"]["sampled"] == result["sampling"]["nodes"]["candidates"] > 0
    assert result["wrong_trained"] == 0 and result["h_only_accepted"] > 0
    changed = {q for p in result["propagated"] for q in p["question_ids"]}
    assert changed and result["propagated_count"] == len(changed)
    by_id = {q.id: q for q in run.task.questions("train")}
    dataset = [json.loads(line) for line in (run.dir / "cycle-1" / "dataset.jsonl").read_text().splitlines()]
    assert dataset and all(d["target"] == run.task.true_answer(by_id[d["question_id"]]) for d in dataset)
    rows = {r.question_id: r for r in run.store.examples(run.id, 1)}
    assert all(rows[q].verdict in ("propagated", "dropped") for q in changed)
    assert all(rows[q].target_provenance == "propagated" for q in changed)
    assert all(d["provenance"] in ("verified", "propagated", "model") for d in dataset)
    assert sum(result["provenance"].values()) == len(dataset) and result["provenance"]["propagated"] > 0
    [oversight] = build_report(run.dir)["oversight"]  # the report counts targets per provenance and difficulty
    assert oversight["index"] == 1 and oversight["provenance"] == result["provenance"]
    assert sum(oversight["provenance_by_difficulty"]["propagated"].values()) == result["provenance"]["propagated"]
