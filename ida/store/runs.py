"""The run tables of the store: runs, phases, examples, metrics and the append-only event log. Each phase's
results and its "done" mark are written in one transaction, which is what makes `ida resume` exact after a
SIGKILL."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ida.errors import RunDirError, disk_full
from ida.faults import kill_point
from ida.store.db import BEGIN_ROWS, BUSY_SECONDS, StoreError, StoreUrl, connect, writer_gate
from ida.store.rows import ExampleRow
from ida.store.schema import migrate


def writable(path: Path) -> bool:
    """Whether SQLite can write `path`: the file and its folder (the WAL and shared-memory files go next to it)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A store on a read-only disk or folder (an archived run): read-only, and `immutable` when SQLite cannot even
    make its shared-memory file there (nobody can write such a folder, so nothing changes under the reader)."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, check_same_thread=False)


class RunTables:
    """The connection and the run tables; `Store` adds the review, accounts and safety tables."""

    def __init__(self, path: str | Path):
        """`path`: a SQLite file, or a store URL (`sqlite:///...`, `postgresql://...`; see `ida.store.db`)."""
        self.url = StoreUrl.parse(path)
        self.path = self.url.path or Path(self.url.shown)  # what messages name
        self.dialect = self.url.dialect
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""
        self.read_only = self.url.path is not None and self.path.exists() and not writable(self.path)
        try:
            self._db = _connect_read_only(self.path) if self.read_only else connect(self.url)
            if self.read_only:
                self._db.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as err:
            raise RunDirError(disk_full(err) or f"{self.path}: not a usable IDA store ({err}); restore it from a "
                              "copy or start a new run") from None
        if self.read_only:
            return  # reading needs no write: no migration on an archived run
        try:
            migrate(self._db, str(self.path))
        except sqlite3.DatabaseError as err:  # empty is fine (a new store); truncated or overwritten is not
            self._db.close()
            raise RunDirError(disk_full(err) or f"{self.path}: not a usable IDA store ({err}); restore it from a "
                              "copy or start a new run") from None
        except StoreError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self, rows_locked: bool = False) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: everything inside lands together or not at all. `rows_locked`: on
        PostgreSQL the transaction locks the rows it changes itself (`SKIP LOCKED`) instead of excluding every
        other writer (on SQLite there is no difference).

        On SQLite the threads of one process also queue on a lock of the file (`writer_gate`) before BEGIN:
        SQLite's own busy handler polls, and under 20 threads on 2 cores a thread could lose every poll for the
        whole busy timeout and fail with "database is locked"; waiting on a lock instead is woken in turn."""
        gate = writer_gate(self.path) if self.dialect == "sqlite" else None
        if gate is not None and not gate.acquire(timeout=BUSY_SECONDS):
            raise sqlite3.OperationalError(f"database is locked ({self.path}: another thread of this process "
                                           f"held it for {BUSY_SECONDS:g} s)")
        try:
            self._db.execute(BEGIN_ROWS if rows_locked else "BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if gate is not None:
                gate.release()

    def _rows(self, sql: str, args: tuple | list = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, args)]

    # runs
    def create_run(self, run_id: str, task: str, config_yaml: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO runs VALUES (?, ?, 'running', ?, ?)", (run_id, task, config_yaml, time.time()))
            self.event(run_id, "system", "run_created", {"task": task})

    def run_row(self, run_id: str | None = None) -> dict[str, Any]:
        """The run's row (id, task, status, config, created); without `run_id`, the store's only run."""
        row = self._db.execute("SELECT * FROM runs" + (" WHERE id = ?" if run_id else " LIMIT 1"),
                               (run_id,) if run_id else ()).fetchone()
        if row is None:
            raise RunDirError(f"{self.path}: holds no run{' ' + run_id if run_id else ''} (its start-up was cut "
                              "off, or the file was replaced); start a new run")
        return dict(row)

    def has_runs(self) -> bool:
        """Whether the store holds a run already (a new PostgreSQL store for `ida run` must not)."""
        return self._db.execute("SELECT id FROM runs LIMIT 1").fetchone() is not None

    def set_status(self, run_id: str, status: str, reason: str | None = None, **details: Any) -> None:
        """The run's status (running, paused, finished, failed, interrupted); `reason` (one line) says why."""
        with self._transaction():
            self._db.execute("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))
            self.event(run_id, "system", "status", {"status": status, **({"reason": reason} if reason else {}),
                                                    **details})

    def status_reason(self, run_id: str) -> str | None:
        """The reason stored with the run's latest status change (None when it gave none)."""
        row = self._db.execute("SELECT payload FROM events WHERE run_id = ? AND kind = 'status' ORDER BY id DESC"
                               " LIMIT 1", (run_id,)).fetchone()
        return json.loads(row["payload"]).get("reason") if row else None

    def reopen_phase(self, run_id: str, cycle: int, phase: str, why: str) -> None:
        """Forget that a phase is done (its output file is gone), so the next resume runs it again."""
        with self._transaction() as db:
            db.execute("DELETE FROM phases WHERE run_id = ? AND cycle = ? AND phase = ?", (run_id, cycle, phase))
            self.event(run_id, "system", "phase_reopened", {"cycle": cycle, "phase": phase, "why": why})

    # phases
    def phase_result(self, run_id: str, cycle: int, phase: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT result FROM phases WHERE run_id = ? AND cycle = ? AND phase = ?",
                               (run_id, cycle, phase)).fetchone()
        return json.loads(row["result"]) if row else None

    def finish_phase(self, run_id: str, cycle: int, phase: str, result: dict[str, Any],
                     metrics: dict[str, dict[str, float]] | None = None, examples: list[ExampleRow] | None = None,
                     also: Callable[[Any], None] | None = None) -> None:
        """Record a phase's result, its metrics and examples, and the phase as done: one transaction.
        `also(store)` writes more rows that must land with them (events, the monitor phase's alerts)."""
        with self._transaction() as db:
            if also is not None:
                also(self)
            for name, values in (metrics or {}).items():
                db.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, cycle, name, key)"
                               " DO UPDATE SET value = excluded.value",
                               [(run_id, cycle, name, str(k), float(v)) for k, v in values.items()])
            for e in examples or []:
                self._upsert_example(run_id, cycle, e)
            db.execute("INSERT INTO phases VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, cycle, phase)"
                       " DO UPDATE SET result = excluded.result, finished = excluded.finished",
                       (run_id, cycle, phase, json.dumps(result), time.time()))
            self.event(run_id, "system", "phase_done", {"cycle": cycle, "phase": phase})
            kill_point(f"commit:{cycle}:{phase}")

    def phases(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM phases WHERE run_id = ? ORDER BY cycle, finished", (run_id,))
        return [{**dict(r), "result": json.loads(r["result"])} for r in rows]

    # examples
    def _upsert_example(self, run_id: str, cycle: int, e: ExampleRow) -> None:
        self._db.execute(
            "INSERT INTO examples (run_id, cycle, question_id, difficulty, prompt, answer, true_answer, graph,"
            " provenance, verdict, target, target_provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, cycle, question_id) DO UPDATE SET verdict = excluded.verdict,"
            " target = excluded.target, target_provenance = excluded.target_provenance",
            (run_id, cycle, e.question_id, e.difficulty, e.prompt, e.answer, e.true_answer, json.dumps(e.graph),
             json.dumps(e.provenance), e.verdict, e.target, e.target_provenance))

    def examples(self, run_id: str, cycle: int) -> list[ExampleRow]:
        rows = self._db.execute("SELECT * FROM examples WHERE run_id = ? AND cycle = ? ORDER BY id", (run_id, cycle))
        return [_example(r) for r in rows]

    def example(self, run_id: str, cycle: int, question_id: str) -> ExampleRow | None:
        row = self._db.execute("SELECT * FROM examples WHERE run_id = ? AND cycle = ? AND question_id = ?",
                               (run_id, cycle, question_id)).fetchone()
        return None if row is None else _example(row)

    # metrics
    def metrics(self, run_id: str, name: str | None = None) -> dict[int, dict[str, dict[str, float]]]:
        """{cycle: {name: {key: value}}}."""
        sql, args = "SELECT * FROM metrics WHERE run_id = ?", [run_id]
        if name:
            sql, args = sql + " AND name = ?", args + [name]
        out: dict[int, dict[str, dict[str, float]]] = {}
        for r in self._db.execute(sql, args):
            out.setdefault(r["cycle"], {}).setdefault(r["name"], {})[r["key"]] = r["value"]
        return out

    # events
    def event(self, run_id: str | None, actor: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        """Append one event (inside the caller's transaction when one is open, so it lands with its rows)."""
        self._db.execute("INSERT INTO events (ts, run_id, actor, kind, payload) VALUES (?, ?, ?, ?, ?)",
                         (time.time(), run_id, actor, kind, json.dumps(payload or {})))

    def events(self, run_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM events" + (" WHERE run_id = ?" if run_id else "") + " ORDER BY id"
        return [{**dict(r), "payload": json.loads(r["payload"])}
                for r in self._db.execute(sql, (run_id,) if run_id else ())]


def _example(r: sqlite3.Row) -> ExampleRow:
    return ExampleRow(r["question_id"], r["difficulty"], r["prompt"], r["answer"], r["true_answer"],
                      json.loads(r["graph"]), json.loads(r["provenance"]), r["verdict"], r["target"], r["cycle"],
                      r["target_provenance"])
