"""Evaluation per difficulty: the student alone (one forward pass per question) and the amplified system
Amp(H, student) on the held-out eval questions, scored against the task's true answers."""

from __future__ import annotations

from collections import defaultdict

from ida.amplify import amplify
from ida.config import AmplifyConfig
from ida.models.base import Answerer
from ida.tasks import Question, Task


def accuracy_by_difficulty(task: Task, questions: list[Question], answers: list[str | None]) -> dict[int, float]:
    """Share of exactly right answers per difficulty (a failed answer, None, counts as wrong)."""
    right: dict[int, list[bool]] = defaultdict(list)
    for q, a in zip(questions, answers):
        right[q.difficulty].append(a is not None and a == task.true_answer(q))
    return {d: sum(v) / len(v) for d, v in sorted(right.items())}


def evaluate_student(task: Task, model: Answerer, questions: list[Question]) -> dict[int, float]:
    answers = model.answer([q.prompt for q in questions])
    return accuracy_by_difficulty(task, questions, [None if a.failed else a.text for a in answers])


def evaluate_amplified(task: Task, model: Answerer, questions: list[Question], cfg: AmplifyConfig) -> dict[int, float]:
    examples = amplify(task, questions, model, cfg)
    return accuracy_by_difficulty(task, questions, [e.answer for e in examples])
