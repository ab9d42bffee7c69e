"""The built-in tasks (after Christiano, Shlegeris & Amodei 2018) and the `Task` protocol they implement."""

from __future__ import annotations

from typing import Any

from ida.tasks.addition import AdditionTask
from ida.tasks.assignments import AssignmentsTask
from ida.tasks.base import UNKNOWN, HProgram, Question, Task, ask, drive, parse_int
from ida.tasks.permutation import PermutationTask
from ida.tasks.plugin import build_task, check_questions, task_registry
from ida.tasks.qa import QATask
from ida.tasks.shortest_path import ShortestPathTask
from ida.tasks.union_find import UnionFindTask
from ida.tasks.wildcard import WildcardTask
from ida.tasks.world_task import WorldTask

TASKS: dict[str, type] = {
    cls.name: cls for cls in (PermutationTask, AssignmentsTask, WildcardTask, ShortestPathTask, UnionFindTask)
}
# Tasks over a researcher's own data (no H program, no generator of their own): known to `make_task` by name.
DATA_TASKS: dict[str, type] = {QATask.name: QATask}
# Tasks whose question space has no end (no world, no facts): train and eval are disjoint draws, eval is held out.
OPEN_TASKS: dict[str, type] = {AdditionTask.name: AdditionTask}


# Every task name: the two dicts above, `register_task`'s, `ida.tasks` entry points and `module:attr` paths.
TASK_REGISTRY = task_registry(TASKS, DATA_TASKS, OPEN_TASKS)


def register_task(name: str, task: type | Any) -> None:
    """Make a task class (or a callable returning a task) known as `task.name: <name>`."""
    TASK_REGISTRY.register(name, TASK_REGISTRY.adapt(task, f"task {name!r}"))


def make_task(name: str, **params: Any) -> Task:
    """The task `name` (registered, an entry point, or `module:attr`) built with keyword `params` (ValueError for
    an unknown name, an import path that does not import, a class missing a method, or bad params)."""
    return build_task(TASK_REGISTRY.get(name), name, params)


__all__ = [
    "AdditionTask", "DATA_TASKS", "OPEN_TASKS", "TASKS", "UNKNOWN", "AssignmentsTask", "HProgram", "PermutationTask",
    "QATask", "Question",
    "ShortestPathTask", "TASK_REGISTRY", "Task",
    "UnionFindTask", "WildcardTask", "WorldTask", "ask", "check_questions", "drive",
    "make_task", "parse_int", "register_task",
]
