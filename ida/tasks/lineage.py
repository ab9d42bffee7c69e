"""A data task's file travels with its run: copied into the run dir at start, with its hash, and found there
from any working directory later (`ida report`, `ida resume`, the app).

A task class takes part by defining `pin(params, run_dir) -> params` (copy what it reads, return the params
that name the copy) and `resolve(params, run_dir) -> params` (make those params usable from anywhere); tasks
without them (the built-in generators) are unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ida.config import RunConfig, TaskConfig
from ida.tasks import TASK_REGISTRY


def pin_task_data(config: RunConfig, run_dir: Path) -> RunConfig:
    """`config` with its task's data copied into `run_dir` and its params naming the copy (and its sha256)."""
    pin = getattr(_task_class(config.task.name), "pin", None)
    if pin is None:
        return config
    task = config.task.model_copy(update={"params": pin(dict(config.task.params), Path(run_dir))})
    return config.model_copy(update={"task": task})


def task_params(task: TaskConfig, run_dir: Path | None) -> dict[str, Any]:
    """The task's constructor params, with a pinned data file resolved against `run_dir` (when given)."""
    resolve = getattr(_task_class(task.name), "resolve", None)
    return dict(task.params) if resolve is None or run_dir is None else resolve(dict(task.params), Path(run_dir))


def _task_class(name: str) -> Any:
    """The registered task (built-in, registered, entry point or import path); None when it cannot be found,
    which the task's own construction then reports."""
    try:
        return TASK_REGISTRY.get(name)
    except ValueError:
        return None
