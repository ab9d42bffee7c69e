"""`python -m ida.cli ...` runs the `ida` command line."""

from ida.cli.main import app

app()
