"""The `ida` command line (typer): `run`, `resume`, `report` here; `review`, `users` in `review`; `approve`,
`compare` in `safety`. The only place that wires concrete pieces from a config."""

from ida.cli.main import app

__all__ = ["app"]
