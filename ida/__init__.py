"""The IDA research harness: the public Python API for cycle scripts. The CLI (`ida run/resume/report`) uses
exactly these names.

    import ida

    config = ida.load_config("configs/permutation.yaml", ["max_cycles=3"])   # or ida.load_config() for defaults
    run = ida.start_run(config, Path("runs"))                                # runs/<id>/, M_0 saved
    ida.execute(run, on_phase_end=lambda run, cycle, phase, result: print(cycle, phase, result))
    run.metrics("student")        # {cycle: {"student": {difficulty: accuracy}}}
    run.examples(1)               # cycle 1's amplified examples (ExampleRow)
    ida.report(run.dir)           # the per-cycle table as JSON (what `ida report --json` prints)

Step by step instead of `execute`: `ida.run_cycle(run, n)` runs cycle n's remaining phases, `ida.run_phase(run,
n, "distill")` one phase (see `ida.PHASES`; "baseline" with cycle 0 trains the supervised baseline).
`ida.open_run(path)` opens a run again (resume).

Plug-ins: `register_task`, `register_answerer`, `register_decomposer`, `register_review_policy`,
`register_objective` add names to the config's fields; an import path `module:attr` or an installed package's
entry point works without registering (see `ida.plugins` and the README's "Your own task").

Importing `ida` is light (no torch): every name loads its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_LAZY = {
    # configs and runs
    "load_config": "ida.config", "RunConfig": "ida.config", "ConfigError": "ida.config",
    "start_run": "ida.run", "open_run": "ida.run", "read_run": "ida.run", "Run": "ida.run", "RunRecord": "ida.run",
    "RunProgress": "ida.progress",
    # the loop
    "execute": "ida.cycle", "run_cycle": "ida.cycle", "run_phase": "ida.cycle", "PHASES": "ida.cycle",
    "PhaseHook": "ida.cycle",
    # reading results
    "report": "ida.reporting.capability",
    # tasks
    "Task": "ida.tasks", "Question": "ida.tasks", "HProgram": "ida.tasks", "UNKNOWN": "ida.tasks",
    "ask": "ida.tasks", "drive": "ida.tasks", "parse_int": "ida.tasks", "make_task": "ida.tasks",
    "register_task": "ida.tasks",
    # plug-ins
    "PluginError": "ida.plugins",
    "register_answerer": "ida.models.registry", "AnswererProvider": "ida.models.registry",
    "register_decomposer": "ida.amplify.decomposers", "DecomposerProvider": "ida.amplify.decomposers",
    "Decomposer": "ida.amplify.decomposers",
    "register_review_policy": "ida.review.policies", "ReviewPolicy": "ida.review.policies",
    "Review": "ida.review.policies", "ReviewRequest": "ida.review.policies",
    "register_objective": "ida.distill.registry", "ObjectiveProvider": "ida.distill.registry",
}
_RENAMED = {"report": "build_report"}

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names load lazily
    from ida.amplify.decomposers import Decomposer, DecomposerProvider, register_decomposer
    from ida.config import ConfigError, RunConfig, load_config
    from ida.cycle import PHASES, PhaseHook, execute, run_cycle, run_phase
    from ida.distill.registry import ObjectiveProvider, register_objective
    from ida.models.registry import AnswererProvider, register_answerer
    from ida.plugins import PluginError
    from ida.progress import RunProgress
    from ida.reporting.capability import build_report as report
    from ida.review.policies import Review, ReviewPolicy, ReviewRequest, register_review_policy
    from ida.run import Run, RunRecord, open_run, read_run, start_run
    from ida.tasks import UNKNOWN, HProgram, Question, Task, ask, drive, make_task, parse_int, register_task


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), _RENAMED.get(name, name))
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'ida' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["AnswererProvider", "ConfigError", "Decomposer", "DecomposerProvider", "HProgram", "ObjectiveProvider",
           "PHASES", "PhaseHook", "PluginError", "Question", "Review", "ReviewPolicy", "ReviewRequest", "Run",
           "RunConfig", "RunProgress", "RunRecord", "Task", "UNKNOWN", "ask", "drive", "execute", "load_config",
           "make_task", "open_run", "parse_int", "read_run", "register_answerer", "register_decomposer",
           "register_objective", "register_review_policy", "register_task", "report", "run_cycle", "run_phase",
           "start_run"]
