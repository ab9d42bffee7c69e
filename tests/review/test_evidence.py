"""Evidence an overseer can check: every built-in world task gives its evidence as numbered steps in order, one
legend line for its symbols and review guidelines; the item view carries them."""

from __future__ import annotations

import pytest

from ida.review.view import derivation
from ida.tasks import make_task

WORLD_TASKS = ["permutation", "assignments", "wildcard", "shortest_path", "union_find"]


@pytest.mark.parametrize("name", WORLD_TASKS)
def test_each_world_task_numbers_its_evidence_and_explains_its_symbols(name):
    task = make_task(name)
    question = max(task.questions("train"), key=lambda q: q.difficulty)
    evidence = task.evidence(question)
    steps = derivation(task, question, evidence)
    assert evidence and len(steps) == len(evidence)
    assert [s.split(".", 1)[0] for s in steps] == [str(i) for i in range(1, len(steps) + 1)]
    assert all(fact in step for fact, step in zip(evidence, steps))  # the same facts, in the same order
    assert task.legend and "\n" not in task.legend and task.review_guidelines


def test_permutation_steps_say_which_power_they_reach():
    task = make_task("permutation", n_items=8, max_k=4, seed=5)
    question = next(q for q in task.questions("train") if q.difficulty == 3)
    steps = task.derivation(question)
    x = question.text.split()[1]
    assert len(steps) == 3 and all(f"σ^{i}({x})" in s for i, s in zip((1, 2, 3), steps))
    assert steps[-1].endswith(f"= {task.true_answer(question)})")
