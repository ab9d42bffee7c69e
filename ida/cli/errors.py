"""The CLI's one error handler: every command runs inside `HandledGroup.invoke`, which turns the project's errors
(`IDAError`: config, run dir, lock, empty phase, distillation) and the file/OS/YAML/SQLite errors a user can cause
into one red line on stderr (the message itself, which names the file or field) and exit code 2. Anything else
is a bug: one line too (exit 1), with the hint to rerun with `--debug`, which re-raises every error with its
traceback. A command line typer cannot parse (`--cycle abc`, an unknown option or command) is one line too,
naming the value, exit 2, instead of typer's usage box."""

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
    def make_context(self, info_name, args, parent=None, **extra):
        try:  # the top-level options (`ida --bogus`) are parsed here, before `invoke`
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.UsageError as err:
            _refuse_usage(err)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.exceptions.UsageError as err:  # a subcommand's arguments: parsed inside the group's invoke
            _refuse_usage(err)
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

def _refuse_usage(err: click.exceptions.UsageError):
    """One line for a command line that does not parse; `ida` alone (help) is left to typer."""
    if isinstance(err, click.exceptions.NoArgsIsHelpError):
        raise err
    _say(f"{usage_line(err)} (see `{err.ctx.command_path if err.ctx else 'ida'} --help`)")
    raise typer.Exit(BAD_INPUT_EXIT) from None


def usage_line(err: click.exceptions.UsageError) -> str:
    """`--cycle: 'abc': Input should be a valid integer` (the option and the value it got), or click's own
    message for a missing argument or an unknown option or command."""
    if not isinstance(err, click.exceptions.BadParameter) or isinstance(err, click.exceptions.MissingParameter):
        return err.format_message()
    hint = err.param_hint or (err.param.get_error_hint() if err.param is not None else "value")
    hint = hint if isinstance(hint, str) else " / ".join(hint)
    cause = err.__cause__
    value = cause.errors()[0].get("input") if hasattr(cause, "errors") and cause.errors() else None
    got = f" {value!r}:" if value is not None else ""
    return f"{hint.replace(chr(39), '')}:{got} {err.message}"


def _say(line: str) -> None:
    # Exactly one line whatever the message holds (a value with a newline must not split it).
    _stderr.print(" ".join(line.split()), style="red", markup=False)
