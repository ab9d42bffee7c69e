"""The review tables of the store: items (a node or a whole example of a cycle), leases and verdicts.

Every change happens in a `BEGIN IMMEDIATE` transaction, so a claim is atomic across processes (on PostgreSQL a
claim instead locks the item it takes, `FOR UPDATE SKIP LOCKED`, so claims run side by side): an item has at
most one live lease (`review_items.lease_id`), and an expired lease returns its item to the queue at the next
claim. `now` is read from the caller's clock once the write lock is held, so lease times follow commit order.
The rules (what may be claimed, verdict validation) live in `ida.review.queue.ReviewQueue`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from ida.store.db import lock_key
from ida.store.rows import Lease
from ida.store.runs import RunTables

Clock = Callable[[], float]

# A lease with the item it holds: the columns `_lease` reads.
_LEASES = ("SELECT l.*, i.run_id, i.cycle, i.question_id, i.node, i.key FROM leases l"
           " JOIN review_items i ON i.id = l.item_id")


class LeaseError(RuntimeError):
    """The lease is not (or no longer) held by this user: expired, released, or someone else's."""


class ReviewTables(RunTables):
    """The review queue's rows (a part of `Store`)."""

    def review_enqueue(self, run_id: str, cycle: int, items: list[tuple], now: float) -> int:
        """Add (question_id, node, copies[, key[, priority]]) items: `key` is a node item's memo key (one item per
        key and cycle), `priority` its place in the claim order (lower first; default 0). Items already queued
        keep their state. Returns how many were new."""
        rows = [(run_id, cycle, *_item(it), now) for it in items]
        with self._transaction() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO review_items (run_id, cycle, question_id, node, copies, key,"
                           " priority, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            added = db.total_changes - before
            if added:
                self.event(run_id, "system", "enqueue", {"cycle": cycle, "items": added})
        return added

    def review_progress(self, run_id: str, cycle: int) -> tuple[int, int]:
        """(verdicts given, verdicts wanted) for a cycle's items."""
        row = self._db.execute("SELECT coalesce(sum(min(done, copies)), 0), coalesce(sum(copies), 0)"
                               " FROM review_items WHERE run_id = ? AND cycle = ?", (run_id, cycle)).fetchone()
        return int(row[0]), int(row[1])

    def review_open_count(self) -> int:
        """Verdicts still wanted over the whole store."""
        return int(self._db.execute("SELECT coalesce(sum(copies - done), 0) FROM review_items").fetchone()[0])

    def review_claim(self, user: str, clock: Clock, lease_seconds: float) -> Lease | None:
        """The user's live lease, else a new lease on the next open item (newest cycle first) that this user has
        not judged yet; None when there is none."""
        with self._transaction(rows_locked=True) as db:
            lock_key(db, "lease:" + user)  # one claim per user at a time
            now = clock()
            self._expire(now)
            held = self._live(user)
            if held is not None:
                return held
            item = db.execute(
                "SELECT id, run_id FROM review_items i WHERE lease_id IS NULL AND done < copies AND NOT EXISTS"
                " (SELECT 1 FROM verdicts v WHERE v.item_id = i.id AND v.user = ?)"
                " ORDER BY cycle DESC, priority, id LIMIT 1" + self._skip_locked,
                (user,)).fetchone()
            if item is None:
                return None
            now = clock()  # again, now that the item is ours: on PostgreSQL its last release may have just committed
            lease_id = db.execute("INSERT INTO leases (item_id, user, claimed, expires) VALUES (?, ?, ?, ?)",
                                  (item["id"], user, now, now + lease_seconds)).lastrowid
            db.execute("UPDATE review_items SET lease_id = ? WHERE id = ?", (lease_id, item["id"]))
            self.event(item["run_id"], user, "claim", {"item": item["id"], "lease": lease_id,
                                                       "expires": now + lease_seconds})
            return self._live(user)

    def review_current(self, user: str, clock: Clock) -> Lease | None:
        """The user's live lease (expiring any that ran out first)."""
        with self._transaction():
            self._expire(clock())
            return self._live(user)

    def review_release(self, lease_id: int, user: str, clock: Clock) -> None:
        with self._transaction():
            now = clock()
            self._end(self._own(lease_id, user, now), now, "release")

    def review_expire(self, clock: Clock) -> int:
        with self._transaction():
            return self._expire(clock())

    def review_submit(self, lease_id: int, user: str, verdict: str, target: str | None, comment: str,
                      clock: Clock) -> dict[str, Any]:
        """Record a verdict under a live lease; raises `LeaseError` (after committing the expiry) if it is not."""
        with self._transaction() as db:
            now = clock()
            try:
                lease = self._own(lease_id, user, now)
            except LeaseError as err:
                self._expire(now)
                failure = err
            else:
                seconds = now - lease.claimed
                db.execute("INSERT INTO verdicts (item_id, lease_id, user, verdict, target, comment, seconds, ts)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (lease.item_id, lease.id, user, verdict, target, comment, seconds, now))
                db.execute("UPDATE review_items SET done = done + 1 WHERE id = ?", (lease.item_id,))
                self._end(lease, now, "verdict", log=False)
                self.event(lease.run_id, user, "verdict", {
                    "item": lease.item_id, "lease": lease.id, "verdict": verdict, "seconds": round(seconds, 3),
                    "cycle": lease.cycle, "question_id": lease.question_id, "node": lease.node,
                    "target": target, "comment": comment})
                return {"item_id": lease.item_id, "verdict": verdict, "target": target, "seconds": seconds}
        raise failure

    def review_lease(self, lease_id: int) -> Lease | None:
        """A lease by id, live or ended."""
        row = self._db.execute(_LEASES + " WHERE l.id = ?", (lease_id,)).fetchone()
        return None if row is None else _lease(row)

    def review_reclaim(self, lease_id: int, user: str, clock: Clock, lease_seconds: float) -> Lease:
        """A new lease for `user` on the item of their ended lease `lease_id`, when nobody holds it, it still
        wants a verdict and they have not given one; else `LeaseError` saying why. Their verdict typed after the
        old lease ran out then lands under the new one."""
        with self._transaction() as db:
            now = clock()
            self._expire(now)
            old = self.review_lease(lease_id)
            if old is None or old.user != user:
                raise LeaseError(f"lease {lease_id} was not {user!r}'s")
            item = db.execute("SELECT i.*, l.user AS holder FROM review_items i LEFT JOIN leases l"
                              " ON l.id = i.lease_id WHERE i.id = ?", (old.item_id,)).fetchone()
            if item["lease_id"] is not None and item["holder"] != user:
                raise LeaseError(f"{item['holder']} holds this item now")
            judged = db.execute("SELECT 1 FROM verdicts WHERE item_id = ? AND user = ?", (old.item_id, user))
            if judged.fetchone() is not None or item["done"] >= item["copies"]:
                raise LeaseError("this item has all its verdicts now")
            live = self._live(user)
            if live is not None and live.item_id == old.item_id:
                return live
            if live is not None:
                self._end(live, now, "release")
            new = db.execute("INSERT INTO leases (item_id, user, claimed, expires) VALUES (?, ?, ?, ?)",
                             (old.item_id, user, old.claimed, now + lease_seconds)).lastrowid
            db.execute("UPDATE review_items SET lease_id = ? WHERE id = ?", (new, old.item_id))
            self.event(old.run_id, user, "reclaim", {"item": old.item_id, "lease": new, "after": lease_id})
            return self._live(user)  # type: ignore[return-value]

    def review_undo(self, user: str, run_id: str, clock: Clock, lease_seconds: float) -> Lease:
        """Take back `user`'s latest verdict while its cycle's review phase is open: the verdict is removed
        (logged as `undo`), and the user gets a lease on the item again (their current lease is released).
        `LeaseError` when there is nothing to undo."""
        with self._transaction() as db:
            now = clock()
            v = db.execute("SELECT v.*, i.cycle, i.run_id FROM verdicts v JOIN review_items i ON i.id = v.item_id"
                           " WHERE v.user = ? AND i.run_id = ? ORDER BY v.id DESC LIMIT 1", (user, run_id)).fetchone()
            if v is None:
                raise LeaseError("you have no verdict to undo")
            closed = db.execute("SELECT 1 FROM phases WHERE run_id = ? AND cycle = ? AND phase = 'review'",
                                (run_id, v["cycle"])).fetchone()
            if closed is not None:
                raise LeaseError(f"cycle {v['cycle']}'s review phase is over: its verdicts are final")
            held = db.execute("SELECT l.user FROM review_items i JOIN leases l ON l.id = i.lease_id"
                              " WHERE i.id = ?", (v["item_id"],)).fetchone()
            if held is not None:
                raise LeaseError(f"{held['user']} is reviewing this item now: try again later")
            live = self._live(user)
            if live is not None:
                self._end(live, now, "release")
            db.execute("DELETE FROM verdicts WHERE id = ?", (v["id"],))
            db.execute("UPDATE review_items SET done = done - 1 WHERE id = ?", (v["item_id"],))
            new = db.execute("INSERT INTO leases (item_id, user, claimed, expires) VALUES (?, ?, ?, ?)",
                             (v["item_id"], user, now, now + lease_seconds)).lastrowid
            db.execute("UPDATE review_items SET lease_id = ? WHERE id = ?", (new, v["item_id"]))
            self.event(run_id, user, "undo", {"item": v["item_id"], "verdict": v["verdict"], "target": v["target"],
                                              "comment": v["comment"], "cycle": v["cycle"], "lease": new})
            return self._live(user)  # type: ignore[return-value]

    def review_verdicts(self, user: str | None = None, cycle: int | None = None) -> list[dict[str, Any]]:
        """Verdicts joined with their items, oldest first."""
        sql = ("SELECT v.*, i.run_id, i.cycle, i.question_id, i.node, i.key, i.copies FROM verdicts v"
               " JOIN review_items i ON i.id = v.item_id WHERE 1 = 1")
        args: list[Any] = []
        if user is not None:
            sql, args = sql + " AND v.user = ?", args + [user]
        if cycle is not None:
            sql, args = sql + " AND i.cycle = ?", args + [cycle]
        return self._rows(sql + " ORDER BY v.id", args)

    def review_items(self, cycle: int | None = None) -> list[dict[str, Any]]:
        """Items (with `key` and `priority`), in claim order within a cycle."""
        sql = ("SELECT * FROM review_items" + (" WHERE cycle = ?" if cycle is not None else "")
               + " ORDER BY cycle, priority, id")
        return self._rows(sql, () if cycle is None else (cycle,))

    def review_adjudicate(self, item_id: int, user: str, verdict: str, target: str | None, note: str,
                          clock: Clock) -> dict[str, Any]:
        """An admin's decision on a disputed item (one per item: a second raises `LeaseError`), logged."""
        with self._transaction() as db:
            item = db.execute("SELECT run_id, cycle FROM review_items WHERE id = ?", (item_id,)).fetchone()
            if item is None:
                raise LeaseError(f"there is no review item {item_id}")
            if db.execute("SELECT 1 FROM adjudications WHERE item_id = ?", (item_id,)).fetchone() is not None:
                raise LeaseError(f"item {item_id} has been adjudicated already")
            now = clock()
            db.execute("INSERT INTO adjudications (item_id, run_id, cycle, admin, verdict, target, note, ts)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (item_id, item["run_id"], item["cycle"], user, verdict,
                                                            target, note, now))
            self.event(item["run_id"], user, "adjudicate", {"item": item_id, "cycle": item["cycle"],
                                                            "verdict": verdict, "target": target, "note": note})
        return {"item_id": item_id, "verdict": verdict, "target": target}

    def review_adjudications(self, cycle: int | None = None) -> list[dict[str, Any]]:
        """Admins' decisions on disputed items, oldest first (`user`: the admin who decided)."""
        sql = ("SELECT *, admin AS user FROM adjudications" + (" WHERE cycle = ?" if cycle is not None else "")
               + " ORDER BY id")
        return self._rows(sql, () if cycle is None else (cycle,))

    def review_leases(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM leases ORDER BY id")

    # inside a transaction
    def _live(self, user: str) -> Lease | None:
        row = self._db.execute(_LEASES + " WHERE l.user = ? AND l.ended IS NULL", (user,)).fetchone()
        return None if row is None else _lease(row)

    def _own(self, lease_id: int, user: str, now: float) -> Lease:
        row = self._db.execute(_LEASES + " WHERE l.id = ?", (lease_id,)).fetchone()
        if row is None or row["user"] != user or row["ended"] is not None or row["expires"] <= now:
            raise LeaseError(f"lease {lease_id} is not held by {user!r}")
        return _lease(row)

    def _expire(self, now: float) -> int:
        rows = self._db.execute(_LEASES + " WHERE l.ended IS NULL AND l.expires <= ?"
                                + self._skip_locked.replace("UPDATE", "UPDATE OF l"), (now,)).fetchall()
        for row in rows:
            self._end(_lease(row), now, "expire")
        return len(rows)

    def _end(self, lease: Lease, now: float, outcome: str, log: bool = True) -> None:
        self._db.execute("UPDATE leases SET ended = ?, outcome = ? WHERE id = ?", (now, outcome, lease.id))
        self._db.execute("UPDATE review_items SET lease_id = NULL WHERE id = ? AND lease_id = ?",
                         (lease.item_id, lease.id))
        if log:
            self.event(lease.run_id, lease.user, outcome, {
                "item": lease.item_id, "lease": lease.id, "seconds": round(min(now, lease.expires) - lease.claimed, 3)})


def _lease(row: sqlite3.Row) -> Lease:
    return Lease(row["id"], row["item_id"], row["user"], row["claimed"], row["expires"], row["run_id"],
                 row["cycle"], row["question_id"], row["node"], row["key"])


def _item(item: tuple) -> tuple[str, int, int, str | None, float]:
    """(question_id, node, copies, key, priority) with the defaults filled in."""
    question_id, node, copies, *rest = item
    key = rest[0] if rest else None
    priority = float(rest[1]) if len(rest) > 1 else 0.0
    return question_id, node, copies, key, priority
