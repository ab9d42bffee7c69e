"""The safety commands of the `ida` CLI and what `run` / `resume` / `report` print about safety.

    ida approve RUN_DIR --cycle N --note "why" [--by NAME]   # sign off a paused cycle's alerts
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

PAUSED_EXIT = 3  # `ida run` / `ida resume` exit code when a tripwire paused the run


def print_safety(console: Console, run_dir: Path) -> dict:
    """The monitor table and every alert (with its sign-off); returns the safety report."""
    from ida.reporting.safety import alert_lines, build_safety_report, monitor_table

    report = build_safety_report(run_dir)
    if report["cycles"]:
        console.print(monitor_table(report))
    for line in alert_lines(report):
        console.print(f"[red]alert[/red] {line}", markup=True, highlight=False)
    return report


def finish_safety(console: Console, opened, status: str) -> None:
    """After `execute`: monitors, MLflow export, and the paused exit (code 3) with the command that releases it."""
    print_safety(console, opened.dir)
    if opened.config.tracking.mlflow:
        from ida.reporting.mlflow import export_mlflow

        mlflow_run, cycles = export_mlflow(opened)
        console.print(f"mlflow: run {mlflow_run}, cycles {cycles or 'none new'} exported")
    if status == "paused":
        cycle = _held_cycle(opened)
        console.print(f"[red]run paused[/red]: cycle {cycle}'s student is not promoted until an admin signs off:\n"
                      f"  ida approve {opened.dir} --cycle {cycle} --note '...'   then   ida resume {opened.dir}")
        raise typer.Exit(PAUSED_EXIT)


def _held_cycle(opened) -> int | None:
    from ida.safety import list_alerts

    pending = list_alerts(opened.records, open_only=True)
    return pending[0]["cycle"] if pending else None


def approve(
    run_dir: Annotated[Path, typer.Argument(help="The run's folder.")],
    cycle: Annotated[int, typer.Option("--cycle", help="The paused cycle whose alerts are signed off.")],
    note: Annotated[str, typer.Option("--note", help="Why the promotion is safe (kept with the sign-off).")],
    by: Annotated[Optional[str], typer.Option("--by", help="Who signs off; default: the OS user.")] = None,
) -> None:
    """Sign off a paused cycle's alerts (an admin's decision, logged with who and why); then `ida resume`."""
    from ida.run import run_file
    from ida.safety import NothingToSignOff, sign_off
    from ida.store import Store

    console = Console()
    store = Store(run_file(run_dir))  # not a run: a RunDirError, one line, exit 2 (ida.cli.errors)
    try:
        signoff = sign_off(store.run(), cycle, by or getpass.getuser(), note)
    except (NothingToSignOff, ValueError) as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    finally:
        store.close()
    console.print(f"signed off cycle {cycle} (sign-off {signoff}); continue with: ida resume {run_dir}")
