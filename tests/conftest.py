"""Fixtures every test folder may use: a PostgreSQL server for the session (started on first use, stopped at
the end: tests/pg_server.py) and `store_url`, which runs a test once on a SQLite file and once on a fresh
PostgreSQL schema."""

from __future__ import annotations

import pytest

from pg_server import start_server


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
