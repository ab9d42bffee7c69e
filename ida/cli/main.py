"""`ida`: the command line. The only place that wires concrete pieces from a config.

    ida [--debug] COMMAND ...                             # --debug: tracebacks instead of one-line errors
    ida run [CONFIG] [--run-dir runs] [--set a.b=c ...]   # a new run (default: the embedded default)
    ida resume RUN_DIR                                    # continue a killed run from its last finished phase
    ida report RUN_DIR [--json] | --schema                # the per-cycle table (and capability.png)
    ida approve RUN_DIR --cycle N --note WHY [--by NAME]  # sign off a paused cycle (see cli_safety)
    ida compare RUN_A RUN_B                               # two runs side by side
    ida users add NAME --role overseer|admin              # an account of the oversight app (see cli_review)
    ida review RUN_DIR [--port P]                         # the oversight app on loopback
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

import ida
from ida.cli.errors import HandledGroup
from ida.paths import RunPaths
from ida.cli.reports import check_mlflow, compare
from ida.cli.safety import approve, finish_safety, print_safety

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The IDA research harness.", cls=HandledGroup,
                  pretty_exceptions_enable=False)
# Piped output has no width to follow; the per-cycle table needs ~120 columns.
console = Console() if sys.stdout.isatty() else Console(width=140)


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help=(
        "Show the traceback of any error (default: one line naming the file or field, exit 2)."))] = False) -> None:
    """The IDA research harness."""


@app.command()
def run(
    config: Annotated[Optional[Path], typer.Argument(help="YAML config; default: the embedded default run.")] = None,
    run_dir: Annotated[Path, typer.Option("--run-dir", help=(
        "Folder under which each run gets its own folder."))] = Path("runs"),
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=(
        "Override a field: a.b=c (repeatable)."))] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    wait: Annotated[bool, typer.Option("--wait-for-signoff", help=(
        "When a tripwire pauses the run, wait for the sign-off instead of exiting (code 3)."))] = False,
) -> None:
    """Start a new run and carry it through every cycle."""
    from ida.config import load_config  # the schema; start_run's builder resolves the plug-ins, once

    cfg = load_config(config, overrides or [])
    check_mlflow(console, cfg)
    try:
        started = ida.start_run(cfg, run_dir, _progress(quiet))
    except ValueError as err:  # a plug-in, the task or the amplifier cannot run this config (before any work)
        raise ida.ConfigError(str(err)) from None
    console.print(f"run [bold]{started.id}[/bold] in {started.dir}")
    _finish(started, wait)


@app.command()
def resume(run_dir: Annotated[Path, typer.Argument(help="The run's folder.")],
           quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
           overrides: Annotated[Optional[list[str]], typer.Option("--set", help=(
               "Change a field of config.yaml: a.b=c (repeatable; never safety.*)."))] = None,
           wait: Annotated[bool, typer.Option("--wait-for-signoff", help=(
               "When a tripwire pauses the run, wait for the sign-off instead of exiting (code "
               "3)."))] = False) -> None:
    """Continue a run from its last finished phase."""
    from ida.runlock import RunLock
    from ida.safety import apply_resume_overrides

    from ida.build import check_plugins

    if _finished(run_dir, overrides):  # before the model stack is imported: a finished run answers at once
        console.print(f"{run_dir}: the run is finished; nothing to do (`ida report {run_dir}` shows its results)",
                      soft_wrap=True)
        return
    record = ida.read_run(run_dir)
    record.store.close()
    check_plugins(record.config)  # a plug-in that no longer imports: one line naming the field, nothing written
    lock = RunLock.acquire(run_dir)  # before --set rewrites config.yaml: a second writer changes nothing
    if overrides:
        apply_resume_overrides(run_dir, overrides)
    try:
        opened = ida.open_run(run_dir, _progress(quiet), lock=lock)
    except ValueError as err:  # the task cannot be built again (e.g. its data file changed since the start)
        lock.release()
        raise ida.ConfigError(str(err)) from None
    check_mlflow(console, opened.config)
    console.print(f"resuming [bold]{opened.id}[/bold]")
    _finish(opened, wait)


@app.command()
def report(run_dir: Annotated[Optional[Path], typer.Argument(help="The run's folder.")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
           schema: Annotated[bool, typer.Option("--schema", help=(
               "Print the JSON Schema of `--json`'s output (no run needed)."))] = False) -> None:
    """Print the per-cycle capability table (or JSON) and write capability.png."""
    from ida.reporting.capability import capability_table, plot_capability
    from ida.reporting.html import write_html_report

    if schema:
        from ida.reporting.schema import report_schema

        typer.echo(json.dumps(report_schema(), indent=2))
        return
    if run_dir is None:
        raise typer.BadParameter("Missing argument: give the run's folder (or --schema)", param_hint="RUN_DIR")

    data = ida.report(run_dir)
    writable = os.access(run_dir, os.W_OK)  # an archived run on a read-only disk is read, its files not rewritten
    if data["cycles"] and writable:
        plot_capability(data, RunPaths(run_dir).capability_plot)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    console.print(capability_table(data))
    safety = print_safety(console, run_dir)
    if writable:
        console.print(f"report: {write_html_report(data, safety, Path(run_dir))}")
    else:
        console.print(f"{run_dir} is read-only: report.html and the plots were not rewritten", soft_wrap=True)


def _finished(run_dir: Path, overrides: list[str] | None) -> bool:
    """Whether the run is finished (a folder that is not a run fails here, before the lock file is made); `--set`
    on a finished run is refused: its config.yaml is the record of what ran."""
    from ida.run import status

    record = ida.read_run(run_dir)
    try:
        finished = status(record)[0] == "finished"
    finally:
        record.store.close()
    if finished and overrides:
        raise ida.ConfigError(f"{run_dir}: the run is finished, so --set would rewrite the config of a run that "
                              f"is already done; start a new run instead: ida run {Path(run_dir) / 'config.yaml'} "
                              "--set ...")
    return finished


def _progress(quiet: bool):
    from ida.progress import RunProgress

    return RunProgress(quiet=quiet)


def _finish(opened, wait: bool = False) -> None:
    from ida.reporting.capability import capability_table, plot_capability

    status = ida.execute(opened, wait=wait)  # errors: one line from the CLI's handler, the run stored as failed
    data = ida.report(opened.dir)
    if opened.config.tracking.plot and data["cycles"]:
        console.print(f"capability plot: {plot_capability(data, opened.paths.capability_plot)}")
    console.print(capability_table(data))
    finish_safety(console, opened, status)


# The oversight app's commands live in their own module (accounts, starting the app).
from ida.cli.review import review, users_app  # noqa: E402

app.add_typer(users_app, name="users")
app.command()(review)
app.command()(approve)
app.command()(compare)
