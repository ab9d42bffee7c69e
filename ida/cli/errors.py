"""The CLI's one error handler: every command runs inside `HandledGroup.invoke`, which turns the project's errors
(`IDAError`: config, run dir, lock, empty phase, distillation) and the file/OS/YAML/SQLite errors a user can cause
into one red line on stderr (the message itself, which names the file or field) and exit code 2. Anything else
is a bug: one line too (exit 1), with the hint to rerun with `--debug`, which re-raises every error with its
traceback."""

from __future__ import annotations

import typer
from rich.console import Console
from typer.core import TyperGroup
from typer.core import _click as click  # typer vendors click: its Exit/ClickException are the ones it handles

from ida.errors import one_line

BAD_INPUT_EXIT = 2
BUG_EXIT = 1
_stderr = Console(stderr=True, soft_wrap=True, highlight=False)

class HandledGroup(TyperGroup):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except Exception as err:
            if ctx.params.get("debug"):
                raise
            line = one_line(err)
            if line is not None:
                _say(line)
                raise typer.Exit(BAD_INPUT_EXIT) from None
            _say(f"unexpected error: {type(err).__name__}: {err}".splitlines()[0] +
                 " (a bug; rerun with --debug for the traceback)")
            raise typer.Exit(BUG_EXIT) from None

def _say(line: str) -> None:
    _stderr.print(line, style="red", markup=False)
