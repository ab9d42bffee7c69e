# ruff: noqa: F401  (the TYPE_CHECKING imports are the public API: `_public()` reads them)
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

if TYPE_CHECKING:  # the public API, listed once: type checkers read it here, `_public()` turns it into lazy names
    from ida.amplify.decomposers import Decomposer, DecomposerProvider, register_decomposer
    from ida.build import load_config
    from ida.config import ConfigError, RunConfig
    from ida.cycle import PHASES, PhaseHook, execute, run_cycle, run_phase
    from ida.distill.registry import ObjectiveProvider, register_objective
    from ida.models.registry import AnswererProvider, register_answerer
    from ida.paths import RunPaths
    from ida.plugins import PluginError
    from ida.progress import RunProgress
    from ida.reporting.capability import build_report as report
    from ida.reporting.schema import Report
    from ida.review.policies import Review, ReviewPolicy, ReviewRequest, register_review_policy
    from ida.run import Run, RunRecord, open_run, read_run, start_run
    from ida.tasks import UNKNOWN, HProgram, Question, Task, ask, drive, make_task, parse_int, register_task


def _public() -> dict[str, tuple[str, str]]:
    """{public name: (module, attribute)}, read from the `if TYPE_CHECKING:` imports above."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    return {alias.asname or alias.name: (node.module, alias.name) for node in block.body
            if isinstance(node, ast.ImportFrom) for alias in node.names}


_LAZY = _public()


def __getattr__(name: str):
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(import_module(module), attribute)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'ida' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
