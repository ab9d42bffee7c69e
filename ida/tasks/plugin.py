"""Tasks from outside the package: the task registry (`task.name` as a registered name, an `ida.tasks` entry
point or `module:attr`), how a plug-in task is built, and the checks every task passes before a run starts.

A plug-in is a class (or a callable returning a task) with the methods of the `Task` protocol: `questions`,
`difficulties`, `decompose`, `true_answer`, `vocabulary`. It is built with `task.params` as keyword arguments,
plus `form` and `seed` where its signature takes them. What it leaves out gets the protocol's defaults:
`name` (the class name), `form` ("weights"), `can_decompose` (True), `answer_parser`, `lenient_parser` and
`length_parameter` (None), `position_separators` (()), `legend` and `review_guidelines` (""), `evidence`, `facts`,
`validate_answer`, `well_formed`, `derivation`, `check` and `train_difficulties`.
"""

from __future__ import annotations

import inspect
import types
from collections import Counter
from typing import Any

from ida.plugins import PluginError, Registry, require_callable, require_methods
from ida.tasks.base import Question, Task

TASK_METHODS = ("questions", "difficulties", "decompose", "true_answer", "vocabulary")
FIELD = "task.name"


def adapt_task(obj: Any, where: str) -> Any:
    """A task class or factory, checked as far as it can be before it is built."""
    if inspect.isclass(obj):
        require_methods(obj, TASK_METHODS, FIELD, "task class")
        return obj
    require_callable(obj, where, "the task")
    return obj


def build_task(factory: Any, name: str, params: dict[str, Any]) -> Task:
    """`factory` called with `params`, `form` and `seed` left out where its signature does not take them; a
    plug-in gets the protocol's defaults."""
    accepted = _accepted(factory)
    kwargs = {k: v for k, v in params.items() if k not in ("form", "seed") or accepted is None or k in accepted}
    try:
        task = factory(**kwargs)
    except TypeError as error:  # an unknown parameter name
        raise ValueError(f"task {name!r}: {error}") from error
    if Task not in getattr(factory, "__mro__", ()):  # a class that subclasses Task has its defaults
        _fill_defaults(task, name, params.get("form", "weights"))
    require_methods(task, TASK_METHODS, FIELD, "task")
    return task


def _accepted(factory: Any) -> set[str] | None:
    """Keyword names `factory` takes; None when it takes any (**kwargs) or its signature is unknown."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def _fill_defaults(task: Any, name: str, form: str) -> None:
    """Give a task that does not subclass `Task` what the protocol defines by default."""
    defaults = {"name": name.rpartition(":")[2] or name, "form": form, "can_decompose": True, "answer_parser": None,
                "length_parameter": None, "lenient_parser": None, "position_separators": (), "legend": "",
                "review_guidelines": ""}
    for attr, value in defaults.items():
        if not hasattr(task, attr):
            setattr(task, attr, value)
    for method in ("evidence", "facts", "validate_answer", "check", "train_difficulties", "well_formed", "derivation"):
        if not callable(getattr(task, method, None)):
            setattr(task, method, types.MethodType(getattr(Task, method), task))


def check_questions(task: Task, field: str = FIELD) -> None:
    """Each split's questions are Questions with unique ids and difficulties among `difficulties()` (one
    PluginError line naming the task and the first offender)."""
    owner = f"{field}: task {getattr(task, 'name', type(task).__name__)!r}"
    try:
        difficulties = set(task.difficulties())
        splits = {split: list(task.questions(split)) for split in ("train", "eval")}
    except Exception as err:
        raise PluginError(f"{owner}: building its questions raised {type(err).__name__}: {err}") from None
    for split, questions in splits.items():
        for q in questions:
            if not isinstance(q, Question):
                raise PluginError(f"{owner}: questions({split!r}) gave a {type(q).__name__}, not a Question")
            if q.difficulty not in difficulties:
                raise PluginError(f"{owner}: question {q.id!r} ({split}) has difficulty {q.difficulty!r}, not "
                                  f"among difficulties() {sorted(difficulties)}")
        dup = [qid for qid, n in Counter(q.id for q in questions).items() if n > 1]
        if dup:
            raise PluginError(f"{owner}: questions({split!r}) has duplicate id {dup[0]!r}")
    if not splits["train"]:  # an empty eval split is allowed (a qa file of train-only questions)
        raise PluginError(f"{owner}: questions('train') is empty")


def task_registry(*builtins: dict[str, type]) -> Registry[Any]:
    return Registry("task", FIELD, "ida.tasks", also=builtins, adapt=adapt_task)
