"""Reading a pretrained LM's answer the way the task means it: "The answer is 17." is 17 for a task whose
answers are integers. The built-in tasks' answers are all integers; a task with its own checker (qa: exact,
numeric, a callable) keeps it and is left alone.

Only runs with `model.pretrained` read answers leniently (`lenient_answers(task)` from the run's task builder);
the embedded default scores exact strings as before. The raw answer text is what the store keeps.
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
    """Give `task` an `answer_parser` (last integer) unless it scores answers with its own checker."""
    if getattr(task, "check", None) is None:
        task.answer_parser = last_integer
    return task


def parsed(task: Any, answer: str) -> str:
    """`answer` as the task reads it (unchanged without a parser)."""
    parser = getattr(task, "answer_parser", None)
    return parser(answer) if parser is not None else answer
