"""`Store`: one SQLite file (WAL) per run dir holding runs, phases, examples with their graphs, metrics and an
append-only event log. Each phase's results and its "done" mark are written in one transaction, which is what
makes `ida resume` exact after a SIGKILL."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, status TEXT NOT NULL, config TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS phases (
  run_id TEXT NOT NULL, cycle INTEGER NOT NULL, phase TEXT NOT NULL, result TEXT NOT NULL, finished REAL NOT NULL,
  PRIMARY KEY (run_id, cycle, phase));
CREATE TABLE IF NOT EXISTS examples (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL, question_id TEXT NOT NULL,
  difficulty INTEGER NOT NULL, prompt TEXT NOT NULL, answer TEXT, true_answer TEXT, graph TEXT NOT NULL,
  provenance TEXT NOT NULL, verdict TEXT, target TEXT, UNIQUE (run_id, cycle, question_id));
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL, cycle INTEGER NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (run_id, cycle, name, key));
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, ts REAL NOT NULL, run_id TEXT, actor TEXT NOT NULL, kind TEXT NOT NULL,
  payload TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS signoffs (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL, signed_by TEXT NOT NULL, note TEXT NOT NULL,
  ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL, tripwire TEXT NOT NULL, monitor TEXT NOT NULL,
  key TEXT NOT NULL, value REAL NOT NULL, threshold REAL NOT NULL, message TEXT NOT NULL, created REAL NOT NULL,
  signoff_id INTEGER REFERENCES signoffs (id));
"""


class Store:
    """A connection to a run's SQLite file. Cheap to open: give each thread its own `Store`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: everything inside lands together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # runs
    def create_run(self, run_id: str, task: str, config_yaml: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO runs VALUES (?, ?, 'running', ?, ?)", (run_id, task, config_yaml, time.time()))
            self._event(db, run_id, "system", "run_created", {"task": task})

    def run(self, run_id: str | None = None) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM runs" + (" WHERE id = ?" if run_id else " LIMIT 1"),
                              (run_id,) if run_id else ()).fetchone()
        if row is None:
            raise KeyError(f"no run {run_id or ''} in {self.path}")
        return dict(row)

    def set_status(self, run_id: str, status: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))
            self._event(db, run_id, "system", "status", {"status": status})

    # phases
    def phase_result(self, run_id: str, cycle: int, phase: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT result FROM phases WHERE run_id = ? AND cycle = ? AND phase = ?",
                              (run_id, cycle, phase)).fetchone()
        return json.loads(row["result"]) if row else None

    def finish_phase(self, run_id: str, cycle: int, phase: str, result: dict[str, Any],
                     metrics: dict[str, dict[str, float]] | None = None, examples: list[dict] | None = None,
                     also: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """Record a phase's result, its metrics and examples, and the phase as done: one transaction.
        `also` writes more rows that must land with them (the monitor phase's alerts)."""
        with self.transaction() as db:
            if also is not None:
                also(db)
            for name, values in (metrics or {}).items():
                db.executemany("INSERT OR REPLACE INTO metrics VALUES (?, ?, ?, ?, ?)",
                               [(run_id, cycle, name, str(k), float(v)) for k, v in values.items()])
            for e in examples or []:
                self._upsert_example(db, run_id, cycle, e)
            db.execute("INSERT OR REPLACE INTO phases VALUES (?, ?, ?, ?, ?)",
                       (run_id, cycle, phase, json.dumps(result), time.time()))
            self._event(db, run_id, "system", "phase_done", {"cycle": cycle, "phase": phase})

    def phases(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM phases WHERE run_id = ? ORDER BY cycle, finished", (run_id,))
        return [{**dict(r), "result": json.loads(r["result"])} for r in rows]

    # examples
    @staticmethod
    def _upsert_example(db: sqlite3.Connection, run_id: str, cycle: int, e: dict) -> None:
        db.execute(
            "INSERT INTO examples (run_id, cycle, question_id, difficulty, prompt, answer, true_answer, graph,"
            " provenance, verdict, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, cycle, question_id) DO UPDATE SET verdict = excluded.verdict,"
            " target = excluded.target",
            (run_id, cycle, e["question_id"], e["difficulty"], e["prompt"], e.get("answer"), e.get("true_answer"),
             json.dumps(e.get("graph", {})), json.dumps(e.get("provenance", {})), e.get("verdict"),
             e.get("target")))

    def examples(self, run_id: str, cycle: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM examples WHERE run_id = ? AND cycle = ? ORDER BY id", (run_id, cycle))
        return [{**dict(r), "graph": json.loads(r["graph"]), "provenance": json.loads(r["provenance"])}
                for r in rows]

    # metrics
    def metrics(self, run_id: str, name: str | None = None) -> dict[int, dict[str, dict[str, float]]]:
        """{cycle: {name: {key: value}}}."""
        sql, args = "SELECT * FROM metrics WHERE run_id = ?", [run_id]
        if name:
            sql, args = sql + " AND name = ?", args + [name]
        out: dict[int, dict[str, dict[str, float]]] = {}
        for r in self.db.execute(sql, args):
            out.setdefault(r["cycle"], {}).setdefault(r["name"], {})[r["key"]] = r["value"]
        return out

    # events
    def log_event(self, run_id: str | None, actor: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        self._event(self.db, run_id, actor, kind, payload or {})

    @staticmethod
    def _event(db: sqlite3.Connection, run_id: str | None, actor: str, kind: str, payload: dict) -> None:
        db.execute("INSERT INTO events (ts, run_id, actor, kind, payload) VALUES (?, ?, ?, ?, ?)",
                   (time.time(), run_id, actor, kind, json.dumps(payload)))

    def events(self, run_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM events" + (" WHERE run_id = ?" if run_id else "") + " ORDER BY id"
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in self.db.execute(sql, (run_id,) if run_id else ())]
