"""The built-in tasks (after Christiano, Shlegeris & Amodei 2018) and the `Task` protocol they implement."""

from __future__ import annotations

from typing import Any

from ida.tasks.addition import AdditionTask
from ida.tasks.assignments import AssignmentsTask
from ida.tasks.base import UNKNOWN, HProgram, Question, Task, ask, drive, parse_int
from ida.tasks.permutation import PermutationTask
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


def make_task(name: str, **params: Any) -> Task:
    """The built-in task `name` built with keyword `params` (ValueError for an unknown name or bad params)."""
    registry = {**TASKS, **DATA_TASKS, **OPEN_TASKS}
    if name not in registry:
        raise ValueError(f"unknown task {name!r}; valid names: {', '.join(sorted(registry))}")
    try:
        return registry[name](**params)
    except TypeError as error:  # an unknown parameter name
        raise ValueError(f"task {name!r}: {error}") from error


__all__ = [
    "AdditionTask", "DATA_TASKS", "OPEN_TASKS", "TASKS", "UNKNOWN", "AssignmentsTask", "HProgram", "PermutationTask", "QATask", "Question",
    "ShortestPathTask", "Task",
    "UnionFindTask", "WildcardTask", "WorldTask", "ask", "drive", "make_task", "parse_int",
]
