"""The store's connection, by URL: a SQLite file (`sqlite:///path`, or a plain path: the embedded default, the
`sqlite3` connection itself, unchanged) or a PostgreSQL database (`postgresql://user@host:port/db[?schema=name]`,
through psycopg 3). The table modules write SQLite's SQL; `PgConnection` is the thin adapter that runs it on
PostgreSQL: `?` placeholders, `INSERT OR IGNORE`, two-argument `min`/`max`, the reserved column name `user`,
`lastrowid`, `total_changes`, rows read by name or position, and the schema's SQLite-only types and triggers.

`BEGIN IMMEDIATE` (SQLite's one writer at a time) becomes `BEGIN` plus a transaction-level advisory lock on the
schema, so every write transaction is serialized exactly as on SQLite; a transaction begun with `BEGIN_ROWS` takes
no such lock and relies on the row locks it takes itself (`SKIP_LOCKED`, the review queue's claims).

Passwords never appear in a URL: libpq reads them from `PGPASSWORD`, `~/.pgpass` or a service file (`PGSERVICE`,
`?service=name`); `redact` is what every message shows."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from ida.config.store import StoreError, StoreUrl, redact

BUSY_SECONDS = 30.0  # how long a SQLite writer waits for the file's write lock before "database is locked"
BEGIN_ROWS = "BEGIN IMMEDIATE -- rows"  # SQLite: as BEGIN IMMEDIATE; PostgreSQL: BEGIN without the writer lock
__all__ = ["BEGIN_ROWS", "BUSY_SECONDS", "PgConnection", "Row", "StoreError", "StoreUrl", "columns", "connect",
           "lock_key", "redact", "writer_gate"]
_GATES: dict[str, threading.Lock] = {}
_GATES_LOCK = threading.Lock()


def _new_gates() -> None:
    """In a forked child: fresh locks (one that another thread of the parent held at the fork would never open)."""
    global _GATES_LOCK
    _GATES.clear()
    _GATES_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_gates)


def writer_gate(path: Path) -> threading.Lock:
    """The lock that this process's writers of the SQLite file `path` take before its write lock."""
    key = os.path.realpath(path)
    with _GATES_LOCK:
        return _GATES.setdefault(key, threading.Lock())


def connect(url: StoreUrl) -> Any:
    """A connection the table modules use as a `sqlite3.Connection`: the real one for SQLite (WAL, 30 s busy
    timeout, autocommit between explicit transactions), a `PgConnection` for PostgreSQL."""
    if url.dialect == "sqlite":
        db = sqlite3.connect(url.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        return db
    return PgConnection(url)


def columns(db: Any, table: str) -> set[str]:
    """The column names `table` has now."""
    if isinstance(db, PgConnection):
        return {r[0] for r in db.execute("SELECT column_name FROM information_schema.columns WHERE table_schema ="
                                         " current_schema() AND table_name = ?", (table,))}
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def lock_key(db: Any, key: str) -> None:
    """On PostgreSQL, hold a lock on `key` until the transaction ends (SQLite's writer lock already does)."""
    if isinstance(db, PgConnection):
        db.execute("SELECT pg_advisory_xact_lock(22, hashtext(?))", (key,))


class Row(tuple):
    """A result row read by position or by column name (as `sqlite3.Row`); `dict(row)` gives the columns."""

    _index: dict[str, int]

    def __new__(cls, values: Any, index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    names = [c.name for c in cursor.description or ()]
    index = {name: i for i, name in reversed(list(enumerate(names)))}  # the first of two equal names wins
    return lambda values: Row(values, index)


class _Result:
    """What `PgConnection.execute` returns: the rows, and the id an INSERT gave its row."""

    def __init__(self, rows: list[Row], lastrowid: int | None):
        self._rows, self.lastrowid = rows, lastrowid

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return self._rows

    def __iter__(self) -> Any:
        return iter(self._rows)


class PgConnection:
    """A psycopg 3 connection (autocommit; the store's explicit BEGIN/COMMIT make its transactions) that speaks
    the subset of `sqlite3.Connection` the table modules use."""

    def __init__(self, url: StoreUrl, application_name: str = "ida"):
        try:
            import psycopg  # the `postgres` extra; only a PostgreSQL store needs it
        except ImportError:
            raise StoreError(f"store.url {url.shown}: a PostgreSQL store needs psycopg: pip install "
                             "'ida-harness[postgres]'") from None

        self.url, self._psycopg, self.total_changes = url, psycopg, 0
        try:
            self._conn = psycopg.connect(url.conninfo, autocommit=True, row_factory=_row_factory, connect_timeout=10,
                                         application_name=application_name)
        except psycopg.Error as err:
            raise StoreError(f"store.url {url.shown}: cannot connect ({_first_line(err)}); check the server, the "
                             "user and PGPASSWORD / the service file") from None
        if url.schema:
            self.executescript(f'CREATE SCHEMA IF NOT EXISTS "{url.schema}"; SET search_path TO "{url.schema}"')

    def execute(self, sql: str, args: Any = ()) -> _Result:
        params = tuple(args) or None  # without parameters psycopg leaves `%` alone and allows several statements
        text, returning = _translate(sql, True, params is not None)
        cur = self._run(lambda c: c.execute(text, params, prepare=False), sql)
        rows = cur.fetchall() if cur.description is not None else []
        if cur.description is None or returning:
            self.total_changes += max(cur.rowcount, 0)
        if returning:
            return _Result([], rows[0][0] if rows else None)
        return _Result(rows, None)

    def executemany(self, sql: str, rows: Any) -> None:
        text, _ = _translate(sql, False, True)
        cur = self._run(lambda c: c.executemany(text, [tuple(r) for r in rows]), sql)
        self.total_changes += max(cur.rowcount, 0)

    def executescript(self, script: str) -> None:
        self._run(lambda c: c.execute(pg_ddl(script)), script)

    def close(self) -> None:
        self._conn.close()

    def _run(self, call: Any, sql: str) -> Any:
        try:
            cur = self._conn.cursor()
            call(cur)
        except self._psycopg.OperationalError as err:  # the server went away: one line; the phase rolls back
            raise StoreError(f"store {self.url.shown}: the connection failed ({_first_line(err)}); "
                             "`ida resume` continues the run once the server answers") from None
        return cur


def _first_line(err: BaseException) -> str:
    """libpq's message on one line ("connection to server at ... failed: Connection refused; Is the server ...")."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return "; ".join(lines).removeprefix("connection failed: ") if lines else type(err).__name__


_USER = re.compile(r"""(?<![\w."'])user(?![\w"'])""")  # a reserved word in PostgreSQL: quote it where unqualified
_PAIR = re.compile(r"\b(min|max)\(([^(),]+),([^(),]+)\)")  # SQLite's two-argument min/max: least/greatest
_ID_TABLES = ("examples", "events", "signoffs", "alerts", "review_items", "leases", "verdicts", "login_failures",
              "workspaces", "workspace_steps")
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.I)


@lru_cache(maxsize=512)
def _translate(sql: str, single: bool, params: bool) -> tuple[str, bool]:
    """SQLite's statement as PostgreSQL runs it, and whether it returns the new row's id (`lastrowid`)."""
    stripped = sql.strip()
    if stripped.upper() == "BEGIN IMMEDIATE":
        return "BEGIN; SELECT pg_advisory_xact_lock(20, hashtext(current_schema()))", False
    if stripped == BEGIN_ROWS:
        return "BEGIN", False
    text = _PAIR.sub(lambda m: f"{'least' if m[1] == 'min' else 'greatest'}({m[2]},{m[3]})", sql)
    text = _USER.sub('"user"', text)
    if params:
        text = text.replace("%", "%%").replace("?", "%s")
    insert = _INSERT.match(text)
    returning = False
    if insert:
        if insert[1]:
            text = text[:insert.start(1)] + text[insert.end(1):] + " ON CONFLICT DO NOTHING"
        if single and insert[2].lower() in _ID_TABLES:
            text, returning = text + " RETURNING id", True
    return text, returning


_TRIGGER = re.compile(r"CREATE TRIGGER IF NOT EXISTS (\w+) BEFORE (\w+) ON (\w+)\s+BEGIN SELECT RAISE\(ABORT, "
                      r"'([^']*)'\); END;")


@lru_cache(maxsize=16)
def pg_ddl(script: str) -> str:
    """The schema's SQLite DDL as PostgreSQL's: identity keys, 64-bit integers and floats, quoted `user`, and a
    trigger function for SQLite's `RAISE(ABORT, ...)` triggers."""
    text = script.replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    text = re.sub(r"\bINTEGER\b", "BIGINT", text)
    text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text)
    text = _USER.sub('"user"', text)
    return _TRIGGER.sub(lambda m: (
        f"CREATE OR REPLACE FUNCTION {m[1]}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$f$ BEGIN RAISE EXCEPTION '{m[4]}'; END $f$;\n"
        f"CREATE OR REPLACE TRIGGER {m[1]} BEFORE {m[2]} ON {m[3]} FOR EACH ROW EXECUTE FUNCTION {m[1]}();"), text)
