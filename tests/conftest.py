"""Fixtures every test folder may use: a PostgreSQL server for the session (started on first use, stopped at
the end: tests/pg_server.py) and `store_url`, which runs a test once on a SQLite file and once on a fresh
PostgreSQL schema. Every run a test leaves under its `tmp_path` has a report
that validates against `ida report --schema`."""

from __future__ import annotations

import sqlite3

import pytest

from pg_server import start_server

VALIDATED: list[str] = []


@pytest.fixture(autouse=True)
def _reports_match_the_schema(request):
    yield
    tmp_path = request.node.funcargs.get("tmp_path")
    if tmp_path is None or not tmp_path.exists():
        return
    for store in sorted(tmp_path.rglob("ida.sqlite")):
        check_report(store.parent)


def check_report(run_dir) -> None:
    """The run's report (if it can be built: a test may have damaged the run on purpose) against the schema."""
    import jsonschema

    from ida.errors import IDAError
    from ida.reporting.capability import build_report
    from ida.reporting.schema import report_schema

    if not (run_dir / "config.yaml").is_file():
        return
    try:
        report = build_report(run_dir)
    except (IDAError, OSError, sqlite3.Error):
        return
    jsonschema.validate(report, report_schema())
    VALIDATED.append(str(run_dir))


def pytest_terminal_summary(terminalreporter):
    if VALIDATED:
        terminalreporter.write_line(f"run reports validated against `ida report --schema`: {len(VALIDATED)}")


@pytest.fixture(scope="session")
def pg_server():
    server = start_server()  # installs PostgreSQL or fails in one line: never a silent skip
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A store for this test: `<tmp>/ida.sqlite`, or a new schema on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "ida.sqlite")
    return request.getfixturevalue("pg_server").fresh_url()
