"""Every table of the SQLite store, in one place: a run's results (runs, phases, examples, metrics, the event log),
its safety gate (alerts, sign-offs), its review queue (items, leases, verdicts), the human-as-H workspaces
(workspaces, their steps), the app's accounts (users, failed logins, sessions) and admins' decisions on
disputes (adjudications).
Every statement is `IF NOT EXISTS`, so opening an older store adds the tables it lacks; `COLUMNS` are added to
older tables by `migrate` (then `INDEXES`, which may use them), then the `MIGRATIONS` the store has not had yet.
The same text makes a SQLite file and a PostgreSQL schema (`ida.store.db` translates the SQLite-only parts).

`VERSION` is stored in `schema_version`: bump it with every change here (a table, a column, an index or a
migration), so a store written by newer code is refused by older code (`StoreError`, one line) instead of being
half-understood."""

from typing import Any

from ida.store.db import PgConnection, StoreError, columns

VERSION = 3  # 1: the stores before versioning (no schema_version table); 2: schema_version itself;
# 3: examples.target_provenance, adjudications, sessions (the oversight tables)

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
CREATE TABLE IF NOT EXISTS review_items (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL, question_id TEXT NOT NULL,
  node INTEGER NOT NULL, copies INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, lease_id INTEGER,
  created REAL NOT NULL, key TEXT, priority REAL NOT NULL DEFAULT 0, UNIQUE (run_id, cycle, question_id, node));
CREATE TABLE IF NOT EXISTS leases (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, user TEXT NOT NULL, claimed REAL NOT NULL,
  expires REAL NOT NULL, ended REAL, outcome TEXT);
CREATE TABLE IF NOT EXISTS verdicts (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, lease_id INTEGER NOT NULL UNIQUE, user TEXT NOT NULL,
  verdict TEXT NOT NULL, target TEXT, comment TEXT NOT NULL, seconds REAL NOT NULL, ts REAL NOT NULL,
  UNIQUE (item_id, user));
CREATE INDEX IF NOT EXISTS leases_live ON leases (user) WHERE ended IS NULL;
CREATE INDEX IF NOT EXISTS leases_expiry ON leases (expires) WHERE ended IS NULL;
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, email TEXT UNIQUE, password TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (
  id INTEGER PRIMARY KEY, account TEXT NOT NULL, client TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_ts ON login_failures (ts);
CREATE TABLE IF NOT EXISTS workspaces (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL, question_id TEXT NOT NULL,
  text TEXT NOT NULL, prompt TEXT NOT NULL, difficulty INTEGER NOT NULL, model_version TEXT NOT NULL,
  holder TEXT, claimed REAL, expires REAL, answer TEXT, finished_by TEXT, finished REAL, created REAL NOT NULL,
  UNIQUE (run_id, cycle, question_id));
CREATE TABLE IF NOT EXISTS workspace_steps (
  id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL,
  asked TEXT NOT NULL, answer TEXT NOT NULL, answered_by TEXT NOT NULL, user TEXT NOT NULL, ts REAL NOT NULL,
  UNIQUE (workspace_id, position));
CREATE TABLE IF NOT EXISTS adjudications (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL UNIQUE, run_id TEXT NOT NULL, cycle INTEGER NOT NULL,
  admin TEXT NOT NULL, verdict TEXT NOT NULL, target TEXT, note TEXT NOT NULL, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, account TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, revoked REAL,
  client TEXT NOT NULL, method TEXT NOT NULL);
"""

# Columns added after a table's first release: (table, column, declaration).
COLUMNS = (
    ("review_items", "key", "TEXT"),  # a node item's memo key (model version + prompt); NULL for whole examples
    ("review_items", "priority", "REAL NOT NULL DEFAULT 0"),  # claim order within a cycle: the sampled order
    ("examples", "target_provenance", "TEXT"),  # verified / propagated / model (NULL: not reviewed yet)
)

INDEXES = """
DROP INDEX IF EXISTS review_items_open;
CREATE INDEX IF NOT EXISTS review_items_next ON review_items (cycle, priority, id)
  WHERE lease_id IS NULL AND done < copies;
CREATE UNIQUE INDEX IF NOT EXISTS review_items_key ON review_items (run_id, cycle, key) WHERE key IS NOT NULL;
"""


# Changes that are not additive (a rename, a data move), each run once, in order, on a store below its version:
# (version it brings the store to, SQL script).
MIGRATIONS: tuple[tuple[int, str], ...] = ()


def migrate(db: Any, where: str = "the store") -> None:
    """Refuse a store newer than this code; else create missing tables, add missing `COLUMNS` to older tables,
    the indexes, then the `MIGRATIONS` it lacks, and record `VERSION`. On PostgreSQL all of it is one transaction
    under an advisory lock, so processes opening one database at once do not race."""
    pg = isinstance(db, PgConnection)
    if pg:
        db.executescript("BEGIN; SELECT pg_advisory_xact_lock(21, hashtext(current_schema()))")
    try:
        db.executescript("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT max(version) FROM schema_version").fetchone()
        stored = row[0] if row and row[0] is not None else 1
        if stored > VERSION:
            raise StoreError(f"{where}: its schema is version {stored}, newer than this code's {VERSION}; "
                             "upgrade ida-harness to open it")
        if stored < VERSION or not pg:
            _upgrade(db, stored)
    except BaseException:
        if pg:
            db.executescript("ROLLBACK")
        raise
    if pg:
        db.executescript("COMMIT")


def _upgrade(db: Any, stored: int) -> None:
    db.executescript(SCHEMA)
    for table, column, declaration in COLUMNS:
        if column not in columns(db, table):
            try:
                db.executescript(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            except Exception as err:  # SQLite: another process added it first (PostgreSQL holds a lock)
                if "duplicate column" not in str(err):
                    raise
    db.executescript(INDEXES)
    for version, script in MIGRATIONS:
        if version > stored:
            db.executescript(script)
    if stored < VERSION:
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (VERSION,))
