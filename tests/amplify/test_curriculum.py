"""The curriculum window (issue 23, item 1): all, schedule, and frontier from a label-free estimate (the
student's self-consistency or confidence on unlabelled train questions); bad settings fail before any run dir."""

from __future__ import annotations

import math
import random

import pytest
from typer.testing import CliRunner

from ida.amplify.curriculum import Window, estimate_frontier, make_curriculum
from ida.cli import app
from ida.config import CurriculumConfig, ModelConfig
from ida.models.base import Answer
from ida.models.generation import Generation
from ida.models.local import LocalModel
from ida.tasks import AdditionTask
from ida.tasks.addition import add_digits, digits_text
from ida.tasks.labels import LabelFreeTask

TASK = AdditionTask(max_digits=6, eval_max_digits=6, n_train=600, eval_per_difficulty=8)


class AddsUpTo:
    """A scripted student that adds operands of up to `known` digits (always the same answer, probability 1) and
    guesses above (random well-formed digits when sampling, probability e^-3 greedy). It records every prompt."""

    def __init__(self, known: int, max_answer_tokens: int = 8) -> None:
        self.known, self.max_answer_tokens, self.prompts = known, max_answer_tokens, []

    def generate(self, prompts, max_new_tokens, temperature=0.0, seed=None):
        rng = random.Random(seed)
        self.prompts += prompts
        out = []
        for p in prompts:
            a, b, c = (part.split() for part in p.removesuffix(" =").split(" + "))
            n = len(a)
            if n <= self.known:
                text, lp = digits_text(add_digits([int(x) for x in a], [int(x) for x in b], int(c[0]))), 0.0
            else:
                text = digits_text([rng.randrange(10) for _ in range(n)] + [rng.randrange(2)]) if temperature \
                    else digits_text([0] * (n + 1))
                lp = -3.0
            out.append(Generation(text, tuple(range(n + 2)), (lp,)))
        return out

    def answers(self, gens):
        return [Answer(g.text, g.logprobs) for g in gens]


def cfg(**kw) -> CurriculumConfig:
    return CurriculumConfig(**{"kind": "frontier", "probe_questions": 8, "probe_samples": 4, **kw})


@pytest.mark.parametrize("known", [0, 1, 2, 3])
def test_the_frontier_estimate_is_what_the_student_knows(known):
    student = AddsUpTo(known)
    view = LabelFreeTask(TASK)  # no true_answer to reach for
    estimate, probe = estimate_frontier(view, student, cfg(), seed=7)
    assert estimate == known
    assert all(probe[d] == 1.0 for d in range(1, known + 1)) and probe[known + 1] < 0.9
    assert max(probe) == known + 1  # probing stops at the first difficulty not known
    train = {q.prompt for q in TASK.questions("train")}
    assert set(student.prompts) <= train  # only unlabelled train questions, never an eval one
    assert estimate_frontier(view, AddsUpTo(known), cfg(), seed=7) == (estimate, probe)  # seeded: resumable


def test_one_sample_uses_the_greedy_answers_confidence():
    estimate, probe = estimate_frontier(TASK, AddsUpTo(2), cfg(probe_samples=1), seed=1)
    assert estimate == 2 and probe[3] == pytest.approx(math.exp(-3.0))


@pytest.mark.parametrize("settings, known, high", [
    ({}, 0, 1), ({}, 1, 2), ({}, 2, 4), ({}, 3, 6), ({}, 4, 6),  # ahead 2 (halving), clipped at max_digits 6
    ({"ahead": 1.5}, 3, 4), ({"step": 1}, 2, 3), ({"start": 2}, 0, 2)])
def test_the_frontier_window(settings, known, high):
    window = make_curriculum(cfg(**settings)).window(3, TASK, AddsUpTo(known), seed=3)
    assert (window.kind, window.low, window.high, window.estimated_frontier) == ("frontier", 1, high, known)
    assert window.as_dict()["estimated_frontier"] == known


@pytest.mark.parametrize("settings, highs", [
    ({"step": 1}, [1, 2, 3, 4, 5, 6, 6]), ({"start": 2, "step": 3}, [2, 5, 6, 6, 6, 6, 6]),
    ({"factor": 2.0}, [1, 2, 4, 6, 6, 6, 6]), ({"start": 3, "factor": 1.5}, [3, 4, 6, 6, 6, 6, 6])])
def test_the_schedule_window(settings, highs):
    curriculum = make_curriculum(CurriculumConfig(kind="schedule", **settings))
    windows = [curriculum.window(c, TASK, None, seed=0) for c in range(1, 8)]
    assert [w.high for w in windows] == highs and {w.low for w in windows} == {1}
    assert all(w.estimated_frontier is None for w in windows)


def test_all_is_every_train_difficulty():
    window = make_curriculum(CurriculumConfig()).window(5, TASK, None, seed=0)
    assert window == Window("all", 1, 6)
    assert all(window.contains(q) for q in TASK.questions("train"))


def test_an_untrained_student_has_frontier_zero():
    model = LocalModel.build(ModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=64, max_answer_tokens=8),
                             TASK.vocabulary(), seed=0)
    window = make_curriculum(cfg(probe_questions=4, probe_samples=2)).window(1, LabelFreeTask(TASK), model, seed=1)
    assert (window.high, window.estimated_frontier) == (1, 0) and window.probe[1] < 0.9


@pytest.mark.parametrize("sets, names", [
    (["amplify.curriculum.kind=frontier", "amplify.curriculum.ahead=0"], ["amplify.curriculum.ahead"]),
    (["amplify.curriculum.kind=schedule", "amplify.curriculum.factor=1"], ["amplify.curriculum.factor"]),
    (["amplify.curriculum.kind=schedule"], ["amplify.curriculum.step", "step and factor"]),
    (["amplify.curriculum.kind=frontier", "amplify.curriculum.factor=2"], ["amplify.curriculum.factor"]),
    (["amplify.curriculum.kind=frontier", "task.name=addition", "task.params={max_digits: 1, n_train: 50}"],
     ["amplify.curriculum.kind", "one train difficulty"]),
    (["amplify.filters.min_confidence=0"], ["amplify.filters.min_confidence"]),
    (["amplify.vote={samples: 2, models: 0}"], ["amplify.vote.models"]),
])
def test_bad_curriculum_settings_are_one_line_and_no_run(tmp_path, sets, names):
    args = ["run", "--run-dir", str(tmp_path / "runs"), "--quiet"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and all(n in result.output for n in names), result.output
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())
