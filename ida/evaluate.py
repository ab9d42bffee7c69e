"""Evaluation per difficulty: the student alone (one forward pass per question) and the amplified system
Amp(H, student) on the held-out eval questions, scored against the task's true answers."""

from __future__ import annotations

from collections import defaultdict

from ida.amplify import Amplifier
from ida.models.base import Answerer
from ida.tasks import Question, Task
from ida.tasks.labels import measured_right


def accuracy_by_difficulty(task: Task, questions: list[Question], answers: list[str | None]) -> dict[int, float]:
    """Share of exactly right answers per difficulty (a failed answer, None, counts as wrong)."""
    right: dict[int, list[bool]] = defaultdict(list)
    for q, a in zip(questions, answers):
        right[q.difficulty].append(is_right(task, q, a))
    return {d: sum(v) / len(v) for d, v in sorted(right.items())}


def is_right(task: Task, question: Question, answer: str | None) -> bool:
    """The task's checker (equality with the true answer unless the task says otherwise, e.g. qa's numeric);
    a failed answer (None) and a question without a known answer (or a label the task withholds) are never
    right."""
    return measured_right(task, question, answer)


def evaluate_student(task: Task, model: Answerer, questions: list[Question]) -> dict[int, float]:
    answers = model.answer([q.prompt for q in questions])
    return accuracy_by_difficulty(task, questions, [None if a.failed else a.text for a in answers])


def evaluate_amplified(task: Task, questions: list[Question], amplifier: Amplifier) -> dict[int, float]:
    """Amp(H, M) per difficulty, with the amplifier's answerer and programs (LLM, decomposer, depth)."""
    return accuracy_by_difficulty(task, questions, [e.answer for e in amplifier.amplify(questions)])


FRONTIER_THRESHOLD = 0.9


def frontier(accuracy: dict, threshold: float = FRONTIER_THRESHOLD) -> int:
    """The capability frontier: the largest difficulty d such that the accuracy reaches `threshold` at d and at
    every easier difficulty evaluated (so one lucky hard difficulty above a failed easier one does not count);
    0 when the easiest one already fails. Keys may be ints or strings (as stored). Pure: no model, no torch."""
    reached = 0
    for d, acc in sorted(((int(k), v) for k, v in accuracy.items())):
        if acc < threshold:
            break
        reached = d
    return reached


def frontier_record(student: dict, amplified: dict, before: int | None,
                    trained_max: int | None = None, threshold: float = FRONTIER_THRESHOLD) -> dict[str, float]:
    """One cycle's frontier values: M_n's, Amp(M_n)'s, the change since `before` (M_(n-1)'s frontier, the
    capability amplification rate of the cycle), and, when the task trains on lengths up to `trained_max` but
    evaluates beyond it, M_n's mean accuracy on those extrapolation difficulties."""
    out: dict[str, float] = {"student": float(frontier(student, threshold))}
    if amplified:
        out["amplified"] = float(frontier(amplified, threshold))
    if before is not None:
        out["change"] = out["student"] - before
    beyond = [v for k, v in student.items() if trained_max is not None and int(k) > trained_max]
    if beyond:
        out["extrapolation"] = sum(beyond) / len(beyond)
        out["trained_max"] = float(trained_max)
    return out
