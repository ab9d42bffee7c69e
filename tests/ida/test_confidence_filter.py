"""`amplify.min_confidence`: subanswers the student is unsure of become UNKNOWN in the amplify phase, so IDA's
targets are built only on what M_n knows."""

from __future__ import annotations

import math

from decomposition.answerer import Answer
from ida.amplify.amplifier import ConfidentAnswerer
from ida.config import load_config
from ida.cycle import execute
from ida.run import start_run
from ida.progress import RunProgress
from ida.amplify.examples import amplify
from ida.tasks import UNKNOWN, make_task
from tests.tiny import tiny

TINY = tiny("distill.steps=10", "distill.batch_size=32", "max_cycles=1", "eval.baseline=false", embd=64)


class Scripted:
    version = "M7"

    def answer(self, prompts):
        return [Answer("3", (math.log(0.95), math.log(0.99))), Answer("4", (math.log(0.5),)),
                Answer("5"), Answer("", error="timeout")][:len(prompts)]


def test_unsure_answers_become_unknown_and_the_rest_pass_unchanged():
    inner = Scripted()
    wrapped = ConfidentAnswerer(inner, 0.9)
    sure, unsure, no_logprobs, failed = wrapped.answer(["a", "b", "c", "d"])
    assert wrapped.version == "M7" and wrapped.filtered == 1
    assert sure.text == "3" and sure.logprobs == inner.answer(["a"])[0].logprobs  # 0.95 * 0.99 = 0.94 >= 0.9
    assert unsure.text == UNKNOWN and unsure.logprobs == (math.log(0.5),)
    assert no_logprobs.text == "5" and failed.failed


class Guessing:
    """Answers every subquestion with item 1, at probability 0.5: parseable guesses H would build targets on."""

    version = "guess"

    def answer(self, prompts):
        return [Answer("1", (math.log(0.5),)) for _ in prompts]


def test_h_builds_no_target_on_an_unsure_subanswer():
    task = make_task("permutation", n_items=8, max_k=4)
    questions = task.questions("train")
    cfg = load_config(None, ["amplify.min_confidence=0.9"]).amplify
    plain = amplify(task, questions, Guessing(), cfg)
    filtered = amplify(task, questions, ConfidentAnswerer(Guessing(), 0.9), cfg)
    assert all(e.usable for e in plain)
    assert [e.question.difficulty for e in filtered if e.usable] == [1] * 8  # H answers k=1 lookups itself
    assert all(e.answer == UNKNOWN for e in filtered if e.question.difficulty > 1)


def test_the_amplify_phase_filters_and_records_how_many(tmp_path):
    runs = {}
    for name, extra in (("filtered", ["amplify.min_confidence=0.9"]), ("plain", [])):
        runs[name] = start_run(load_config(None, TINY + extra), tmp_path / name, RunProgress(quiet=True))
        execute(runs[name])
    run = runs["filtered"]
    result = run.store.phase_result(run.id, 1, "amplify")
    k1 = sum(q.difficulty == 1 for q in run.task.questions("train"))
    assert result["unsure_subanswers"] > 0 and result["usable"] == result["targets_right"] == k1  # M_0 knows nothing
    assert "unsure_subanswers" not in runs["plain"].store.phase_result(runs["plain"].id, 1, "amplify")
    # Evaluation's Amp(student) never filters: every eval question gets scored.
    assert run.store.metrics(run.id, "amplified")[1]["amplified"]
