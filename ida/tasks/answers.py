"""Reading a pretrained LM's answer the way the task means it, and whether an answer has the task's form.

`lenient_answers(task)` (the run's task builder calls it for `model.pretrained`) gives the task an `answer_parser`
and a `check` through it: the task's exact answer format first (an answer already written as the task writes
answers is kept as it is, outer whitespace normalised), then lenient forms ("The answer is 17." -> "17" for
integer answers; a task may give its own `lenient_parser`, e.g. addition's digit answers "2 0 1"). A task with a
checker of its own (qa: exact, numeric, a callable) is left alone. The embedded default scores exact strings.

`well_formed(task, question, answer)`: the answer has the form and length the task says it must (addition:
n + 1 digits, the last a carry), read from the question alone, never from a label; the format target filter
(`amplify.filters.format`) and the curriculum's label-free frontier estimate use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_INT = re.compile(r"-?\d+")
_CANONICAL_INT = re.compile(r"-?(0|[1-9]\d*)")


def last_integer(text: str) -> str:
    """The last integer in `text` in canonical form ("The answer is 17." -> "17", "-03" -> "-3"); the stripped
    text itself when it holds none."""
    found = _INT.findall(text)
    return str(int(found[-1])) if found else text.strip()


def integer_answer(text: str) -> str:
    """Exact first (a canonical integer, kept), then the last integer in the text."""
    exact = " ".join(text.split())
    return exact if _CANONICAL_INT.fullmatch(exact) else last_integer(text)


def task_parser(task: Any) -> Callable[[str], str]:
    """The task's reading of a free-form answer: its own `lenient_parser` where it has one; else the text as it
    is when it is already a valid answer (`validate_answer`), else the last integer, else the last word that is a
    valid answer ("The answer is no." -> "no")."""
    if task.lenient_parser is not None:
        return task.lenient_parser

    def parse(text: str) -> str:
        exact = " ".join(text.split())
        if exact and task.validate_answer(exact) is None:
            return exact
        if _INT.search(text):
            return integer_answer(text)
        words = [w for w in re.findall(r"[\w-]+", text) if task.validate_answer(w) is None]
        return words[-1] if words else text.strip()

    return parse


def lenient_answers(task: Any) -> Any:
    """Give `task` an `answer_parser` (exact format first, then lenient) and a `check` through it, unless the
    task scores answers with a checker of its own (qa)."""
    from ida.tasks.base import Task

    if type(task).check is Task.check:  # the default: equality with the true answer
        exact = task.check
        parser = task_parser(task)
        task.answer_parser = parser
        task.check = lambda question, answer: exact(question, None if answer is None else parser(answer))
    return task


def well_formed(task: Any, question: Any, answer: str | None) -> bool:
    """`answer` has the form the task requires for `question` (`Task.well_formed`); H's UNKNOWN and failed
    answers never are."""
    from ida.tasks.base import UNKNOWN

    if answer is None or answer.strip() == UNKNOWN:
        return False
    return bool(task.well_formed(question, answer))
