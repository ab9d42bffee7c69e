"""The label boundary: amplify, review and distill never read `true_answer` for a train question above what H
answers itself; only evaluation, the supervised baselines and measurement do.

- `LabelFreeTask(task)`: the view of a task the training path gets (the amplifier, the curriculum's frontier
  estimate, the target filters). It has no `true_answer` and no `check` (both read labels): reaching for one
  raises `LabelLeak`, so a leak fails the run instead of quietly improving it. Everything else (questions,
  difficulties, H's program, vocabulary, evidence, answer validation and parsing) is the task's.
- `reference_answer(task, q)` / `measured_right(task, q, answer)`: measurement (the examples table's
  `true_answer` column, `targets_right`, wrong targets counted in review): a label the run withholds
  (`LabelWithheld`, e.g. a task without labels above H's level) is None / not right, never an error. Measurement
  never changes a target; the one policy that turns labels into verdicts is `review.policy: simulated`, an
  explicitly simulated overseer.
"""

from __future__ import annotations

from typing import Any

from ida.tasks.base import Question

HIDDEN = frozenset({"true_answer", "check"})


class LabelLeak(AttributeError):
    """The training path reached for a label (`true_answer` or `check`) through its label-free view."""


class LabelWithheld(ValueError):
    """A task has no label for this question (raised by `true_answer` of tasks that withhold them)."""


class LabelFreeTask:
    """A task without its labels (see the module docstring). `inner` is kept private on purpose: the training
    path has no way back to the full task."""

    __slots__ = ("_task",)

    def __init__(self, task: Any) -> None:
        if isinstance(task, LabelFreeTask):
            task = object.__getattribute__(task, "_task")
        object.__setattr__(self, "_task", task)

    def __getattr__(self, name: str) -> Any:
        if name in HIDDEN:
            raise LabelLeak(f"{name}: the training path (amplify, review, distill) may not read true answers; "
                            "only evaluation, the supervised baselines and measurement do (ida.tasks.labels)")
        return getattr(object.__getattribute__(self, "_task"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"the label-free view of a task is read-only ({name})")

    def __reduce__(self) -> tuple:
        return (LabelFreeTask, (object.__getattribute__(self, "_task"),))  # pickled/copied as a view again

    def __repr__(self) -> str:
        return f"LabelFreeTask({object.__getattribute__(self, '_task')!r})"


def label_free(task: Any) -> LabelFreeTask:
    return task if isinstance(task, LabelFreeTask) else LabelFreeTask(task)


def reference_answer(task: Any, question: Question) -> str | None:
    """Measurement only: the true answer, or None when the task withholds it."""
    try:
        return task.true_answer(question)
    except LabelWithheld:
        return None


def measured_right(task: Any, question: Question, answer: str | None) -> bool:
    """Measurement only: the task's checker, False for a failed answer or a withheld label."""
    try:
        return answer is not None and bool(task.check(question, answer))
    except LabelWithheld:
        return False


def h_answers_directly(task: Any, question: Question) -> bool:
    """H answers `question` without subquestions (its program returns before yielding): the questions whose
    labels H itself gives, the most a run may know without a model."""
    try:
        program = task.decompose(question)
        if not hasattr(program, "send"):
            return True
        next(program)
    except StopIteration:
        return True
    except Exception:
        return False
    program.close()
    return False
