"""Reading a pretrained LM's answer the way the task means it: "The answer is 17." is 17 for a task whose
answers are integers. The built-in tasks' answers are all integers; a task with its own checker (qa: exact,
numeric, a callable) keeps it and is left alone.

Only runs with `model.pretrained` read answers leniently (`lenient_answers(task)` from the run's task builder:
`task.check` and H's view of the student's subanswers go through the parser); the embedded default scores exact
strings as before. The raw answer text of amplified and qa answers is what the store keeps.
"""

from __future__ import annotations

import re
from typing import Any

_INT = re.compile(r"-?\d+")


def last_integer(text: str) -> str:
    """The last integer in `text` in canonical form ("The answer is 17." -> "17", "-03" -> "-3"); the stripped
    text itself when it holds none."""
    found = _INT.findall(text)
    return str(int(found[-1])) if found else text.strip()


def lenient_answers(task: Any) -> Any:
    """Give `task` an `answer_parser` (last integer) and a `check` through it, unless the task scores answers
    with a checker of its own (qa)."""
    from ida.tasks.base import Task

    if type(task).check is Task.check:  # the default: equality with the true answer
        exact = task.check
        task.answer_parser = last_integer
        task.check = lambda question, answer: exact(question, None if answer is None else last_integer(answer))
    return task
