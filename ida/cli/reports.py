"""The reporting commands of the `ida` CLI beyond `ida report`: two runs side by side, and the MLflow check that
`run` / `resume` make before any work.

    ida compare RUN_A RUN_B [--out compare.png]             # two runs side by side
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def check_mlflow(console: Console, config) -> None:
    """`tracking.mlflow` without mlflow installed fails before any work."""
    if config.tracking.mlflow:
        from ida.reporting.mlflow import mlflow_missing

        if (why := mlflow_missing()) is not None:
            console.print(f"[red]{why}[/red]")
            raise typer.Exit(2)


def compare(
    run_a: Annotated[Path, typer.Argument(help="The first run's folder (A).")],
    run_b: Annotated[Path, typer.Argument(help="The second run's folder (B).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the comparison plot.")] = Path("compare.png"),
) -> None:
    """Two runs side by side: a per-cycle table and a plot."""
    from ida.reporting.compare import compare_table, load_side, plot_compare

    console = Console(width=160)
    try:
        a, b = load_side(run_a), load_side(run_b)
    except FileNotFoundError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    console.print(compare_table(a, b))
    console.print(f"comparison plot: {plot_compare(a, b, out)}")
