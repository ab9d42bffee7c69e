"""The review queue: items (a node or a whole example of a cycle), leases, and verdicts, in the run's SQLite store.

Used by the cycle (enqueue, wait, read verdicts) and by the oversight app (claim, release, submit). Every change
happens in a `BEGIN IMMEDIATE` transaction, so a claim is atomic across processes: an item has at most one
live lease (`review_items.lease_id`), and an expired lease returns its item to the queue at the next claim.

An item wants `copies` verdicts (2 for the overlap slice that measures agreement, else 1), each from a different
overseer, one after the other. Node 0 (the graph's root) stands for the whole example.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ida.store import Store

WHOLE_EXAMPLE = 0  # the root node: reviewing it is reviewing the amplified answer
VERDICTS: tuple[str, ...] = ("accept", "edit", "reject")

QUEUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS review_items (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL, question_id TEXT NOT NULL,
  node INTEGER NOT NULL, copies INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, lease_id INTEGER,
  created REAL NOT NULL, UNIQUE (run_id, cycle, question_id, node));
CREATE TABLE IF NOT EXISTS leases (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, user TEXT NOT NULL, claimed REAL NOT NULL,
  expires REAL NOT NULL, ended REAL, outcome TEXT);
CREATE TABLE IF NOT EXISTS verdicts (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, lease_id INTEGER NOT NULL UNIQUE, user TEXT NOT NULL,
  verdict TEXT NOT NULL, target TEXT, comment TEXT NOT NULL, seconds REAL NOT NULL, ts REAL NOT NULL,
  UNIQUE (item_id, user));
CREATE INDEX IF NOT EXISTS leases_live ON leases (user) WHERE ended IS NULL;
CREATE INDEX IF NOT EXISTS leases_expiry ON leases (expires) WHERE ended IS NULL;
CREATE INDEX IF NOT EXISTS review_items_open ON review_items (cycle, id) WHERE lease_id IS NULL AND done < copies;
"""

# A lease with the item it holds: the columns `_lease` reads.
_LEASES = ("SELECT l.*, i.run_id, i.cycle, i.question_id, i.node FROM leases l"
           " JOIN review_items i ON i.id = l.item_id")


class LeaseError(RuntimeError):
    """The lease is not (or no longer) held by this user: expired, released, or someone else's."""


@dataclass(frozen=True)
class Lease:
    id: int
    item_id: int
    user: str
    claimed: float
    expires: float
    run_id: str
    cycle: int
    question_id: str
    node: int

    def seconds_left(self, now: float | None = None) -> float:
        return max(0.0, self.expires - (time.time() if now is None else now))


class ReviewQueue:
    """The queue of one store. Cheap to make; give each thread its own `Store`."""

    def __init__(self, store: Store, lease_minutes: float = 5.0, clock: Callable[[], float] = time.time):
        self.store, self.lease_seconds, self.clock = store, lease_minutes * 60.0, clock
        store.db.executescript(QUEUE_SCHEMA)

    # -- the cycle's side ---------------------------------------------------------------------------------------
    def enqueue(self, run_id: str, cycle: int, keys: Iterable[tuple[str, int]], overlap: float = 0.0,
                seed: int = 0) -> int:
        """Add (question_id, node) items; a fixed share `overlap` of them wants two verdicts. Idempotent: items
        already queued keep their state. Returns how many were new."""
        keys = list(dict.fromkeys(keys))
        twice = set(random.Random(seed).sample(range(len(keys)), round(overlap * len(keys))))
        now = self.clock()
        with self.store.transaction() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO review_items (run_id, cycle, question_id, node, copies, created)"
                           " VALUES (?, ?, ?, ?, ?, ?)",
                           [(run_id, cycle, q, n, 2 if i in twice else 1, now) for i, (q, n) in enumerate(keys)])
            added = db.total_changes - before
            if added:
                self.store.log_event(run_id, "system", "enqueue", {"cycle": cycle, "items": added})
        return added

    def progress(self, run_id: str, cycle: int) -> tuple[int, int]:
        """(verdicts given, verdicts wanted) for a cycle's items."""
        row = self.store.db.execute("SELECT coalesce(sum(min(done, copies)), 0), coalesce(sum(copies), 0)"
                                    " FROM review_items WHERE run_id = ? AND cycle = ?", (run_id, cycle)).fetchone()
        return int(row[0]), int(row[1])

    def open_count(self) -> int:
        """Verdicts still wanted over the whole store (for the app's header)."""
        return int(self.store.db.execute("SELECT coalesce(sum(copies - done), 0) FROM review_items").fetchone()[0])

    # -- the overseer's side ------------------------------------------------------------------------------------
    def claim(self, user: str) -> Lease | None:
        """The user's live lease, else a new lease on the next open item (newest cycle first) that this user has
        not judged yet; None when there is none."""
        with self.store.transaction() as db:
            now = self.clock()  # read after the write lock is ours, so lease times follow the commit order
            self._expire(db, now)
            held = self._live(db, user)
            if held is not None:
                return held
            item = db.execute(
                "SELECT id, run_id FROM review_items i WHERE lease_id IS NULL AND done < copies AND NOT EXISTS"
                " (SELECT 1 FROM verdicts v WHERE v.item_id = i.id AND v.user = ?) ORDER BY cycle DESC, id LIMIT 1",
                (user,)).fetchone()
            if item is None:
                return None
            lease_id = db.execute("INSERT INTO leases (item_id, user, claimed, expires) VALUES (?, ?, ?, ?)",
                                  (item["id"], user, now, now + self.lease_seconds)).lastrowid
            db.execute("UPDATE review_items SET lease_id = ? WHERE id = ?", (lease_id, item["id"]))
            self.store.log_event(item["run_id"], user, "claim", {"item": item["id"], "lease": lease_id,
                                                                 "expires": now + self.lease_seconds})
            return self._live(db, user)

    def current(self, user: str) -> Lease | None:
        """The user's live lease (expiring any that ran out first)."""
        with self.store.transaction() as db:
            self._expire(db, self.clock())
            return self._live(db, user)

    def release(self, lease_id: int, user: str) -> None:
        """Give the item back unjudged."""
        with self.store.transaction() as db:
            now = self.clock()
            lease = self._own(db, lease_id, user, now)
            self._end(db, lease, now, "release")

    def expire(self) -> int:
        """End every lease past its window; their items return to the queue. Returns how many."""
        with self.store.transaction() as db:
            return self._expire(db, self.clock())

    def submit(self, lease_id: int, user: str, verdict: str, target: str | None = None, comment: str = "") -> dict:
        """Record a verdict under a live lease. `edit` needs the corrected answer as `target` (whitespace is
        normalised); accept and reject keep no target. Raises `LeaseError` if the lease is not live."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        target = " ".join(target.split()) if (verdict == "edit" and target) else None
        if verdict == "edit" and not target:
            raise ValueError("an edit needs the corrected answer")
        with self.store.transaction() as db:
            now = self.clock()
            try:
                lease = self._own(db, lease_id, user, now)
            except LeaseError as err:
                self._expire(db, now)  # commit the expiry (and its event) before refusing
                failure = err
            else:
                seconds = now - lease.claimed
                db.execute("INSERT INTO verdicts (item_id, lease_id, user, verdict, target, comment, seconds, ts)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (lease.item_id, lease.id, user, verdict, target, comment, seconds, now))
                db.execute("UPDATE review_items SET done = done + 1 WHERE id = ?", (lease.item_id,))
                self._end(db, lease, now, "verdict", log=False)
                self.store.log_event(lease.run_id, user, "verdict", {
                    "item": lease.item_id, "lease": lease.id, "verdict": verdict, "seconds": round(seconds, 3),
                    "cycle": lease.cycle, "question_id": lease.question_id, "node": lease.node})
                return {"item_id": lease.item_id, "verdict": verdict, "target": target, "seconds": seconds}
        raise failure

    # -- reading ------------------------------------------------------------------------------------------------
    def verdicts(self, user: str | None = None, cycle: int | None = None) -> list[dict[str, Any]]:
        """Verdicts joined with their items, oldest first."""
        sql = ("SELECT v.*, i.run_id, i.cycle, i.question_id, i.node, i.copies FROM verdicts v"
               " JOIN review_items i ON i.id = v.item_id WHERE 1 = 1")
        args: list[Any] = []
        if user is not None:
            sql, args = sql + " AND v.user = ?", args + [user]
        if cycle is not None:
            sql, args = sql + " AND i.cycle = ?", args + [cycle]
        return [dict(r) for r in self.store.db.execute(sql + " ORDER BY v.id", args)]

    def items(self, cycle: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM review_items" + (" WHERE cycle = ?" if cycle is not None else "") + " ORDER BY id"
        return [dict(r) for r in self.store.db.execute(sql, () if cycle is None else (cycle,))]

    def example(self, lease: Lease) -> dict[str, Any] | None:
        """The stored example (prompt, answer, graph, ...) a lease's item belongs to."""
        row = self.store.db.execute("SELECT * FROM examples WHERE run_id = ? AND cycle = ? AND question_id = ?",
                                    (lease.run_id, lease.cycle, lease.question_id)).fetchone()
        return None if row is None else {**dict(row), "graph": json.loads(row["graph"]),
                                         "provenance": json.loads(row["provenance"])}

    def leases(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.db.execute("SELECT * FROM leases ORDER BY id")]

    # -- inside a transaction -----------------------------------------------------------------------------------
    def _live(self, db, user: str) -> Lease | None:
        row = db.execute(_LEASES + " WHERE l.user = ? AND l.ended IS NULL", (user,)).fetchone()
        return None if row is None else _lease(row)

    def _own(self, db, lease_id: int, user: str, now: float) -> Lease:
        row = db.execute(_LEASES + " WHERE l.id = ?", (lease_id,)).fetchone()
        if row is None or row["user"] != user or row["ended"] is not None or row["expires"] <= now:
            raise LeaseError(f"lease {lease_id} is not held by {user!r}")
        return _lease(row)

    def _expire(self, db, now: float) -> int:
        rows = db.execute(_LEASES + " WHERE l.ended IS NULL AND l.expires <= ?", (now,)).fetchall()
        for row in rows:
            self._end(db, _lease(row), now, "expire")
        return len(rows)

    def _end(self, db, lease: Lease, now: float, outcome: str, log: bool = True) -> None:
        db.execute("UPDATE leases SET ended = ?, outcome = ? WHERE id = ?", (now, outcome, lease.id))
        db.execute("UPDATE review_items SET lease_id = NULL WHERE id = ? AND lease_id = ?", (lease.item_id, lease.id))
        if log:
            self.store.log_event(lease.run_id, lease.user, outcome, {
                "item": lease.item_id, "lease": lease.id, "seconds": round(min(now, lease.expires) - lease.claimed, 3)})


def _lease(row) -> Lease:
    return Lease(row["id"], row["item_id"], row["user"], row["claimed"], row["expires"], row["run_id"],
                 row["cycle"], row["question_id"], row["node"])
