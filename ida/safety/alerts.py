"""Alerts and sign-offs in the run's Store, for the CLI (`ida approve`) and the oversight app's alerts page.

    list_alerts(store, run_id)                 # every alert, newest cycle last, with its sign-off if any
    open_alerts(store, run_id, cycle)          # the alerts still holding a cycle's promotion
    sign_off(store, run_id, cycle, by, note)   # an admin releases the cycle; logged with who, why and when
Every trip and every sign-off is also written to the append-only event log.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from ida.safety.tripwires import Alert
from ida.store import Store

_SELECT = ("SELECT a.*, s.signed_by, s.note, s.ts AS signed_at FROM alerts a"
           " LEFT JOIN signoffs s ON s.id = a.signoff_id")


def record_alerts(db: sqlite3.Connection, run_id: str, cycle: int, alerts: list[Alert]) -> None:
    """Insert a cycle's alerts (inside the caller's transaction) and log each as an event."""
    now = time.time()
    for a in alerts:
        db.execute("INSERT INTO alerts (run_id, cycle, tripwire, monitor, key, value, threshold, message, created)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (run_id, cycle, a.tripwire, a.monitor, a.key, a.value, a.threshold, a.message, now))
        Store._event(db, run_id, "system", "alert", {"cycle": cycle, "tripwire": a.tripwire, "monitor": a.monitor,
                                                     "key": a.key, "value": a.value, "threshold": a.threshold})


def list_alerts(store: Store, run_id: str, cycle: int | None = None, open_only: bool = False) -> list[dict[str, Any]]:
    """Alerts as dicts (id, cycle, tripwire, monitor, key, value, threshold, message, created, signoff_id,
    signed_by, note, signed_at), ordered by id."""
    sql, args = _SELECT + " WHERE a.run_id = ?", [run_id]
    if cycle is not None:
        sql, args = sql + " AND a.cycle = ?", args + [cycle]
    if open_only:
        sql += " AND a.signoff_id IS NULL"
    return [dict(r) for r in store.db.execute(sql + " ORDER BY a.id", args)]


def open_alerts(store: Store, run_id: str, cycle: int) -> list[dict[str, Any]]:
    return list_alerts(store, run_id, cycle, open_only=True)


def signoffs(store: Store, run_id: str, cycle: int | None = None) -> list[dict[str, Any]]:
    sql, args = "SELECT * FROM signoffs WHERE run_id = ?", [run_id]
    if cycle is not None:
        sql, args = sql + " AND cycle = ?", args + [cycle]
    return [dict(r) for r in store.db.execute(sql + " ORDER BY id", args)]


class NothingToSignOff(ValueError):
    """The cycle has no open alert."""


def sign_off(store: Store, run_id: str, cycle: int, by: str, note: str) -> int:
    """Release every open alert of `cycle` with one sign-off (who, why, when); returns the sign-off's id.
    The held promotion completes on the next `ida resume` (or at once in a process waiting for sign-off)."""
    if not by.strip() or not note.strip():
        raise ValueError("a sign-off needs who (by) and why (note)")
    with store.transaction() as db:
        ids = [r["id"] for r in db.execute("SELECT id FROM alerts WHERE run_id = ? AND cycle = ?"
                                           " AND signoff_id IS NULL", (run_id, cycle))]
        if not ids:
            raise NothingToSignOff(f"cycle {cycle} of run {run_id} has no open alert to sign off")
        signoff = db.execute("INSERT INTO signoffs (run_id, cycle, signed_by, note, ts) VALUES (?, ?, ?, ?, ?)",
                             (run_id, cycle, by, note, time.time())).lastrowid
        db.executemany("UPDATE alerts SET signoff_id = ? WHERE id = ?", [(signoff, i) for i in ids])
        Store._event(db, run_id, by, "sign_off", {"cycle": cycle, "note": note, "alerts": ids})
    return int(signoff)
