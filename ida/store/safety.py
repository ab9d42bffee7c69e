"""The safety gate's tables of the store: alerts (a tripped wire of a cycle) and sign-offs (who released them,
and why); the rules live in `ida.safety.alerts`."""

from __future__ import annotations

import time
from typing import Any

from ida.store.runs import RunTables

_SELECT = ("SELECT a.*, s.signed_by, s.note, s.ts AS signed_at FROM alerts a"
           " LEFT JOIN signoffs s ON s.id = a.signoff_id")


class NothingToSignOff(ValueError):
    """The cycle has no open alert."""


class SafetyTables(RunTables):
    """Alerts and sign-offs (a part of `Store`)."""

    def add_alert(self, run_id: str, cycle: int, tripwire: str, monitor: str, key: str, value: float,
                  threshold: float, message: str) -> None:
        """One alert, with its event (inside the caller's transaction: the monitor phase's)."""
        self._db.execute("INSERT INTO alerts (run_id, cycle, tripwire, monitor, key, value, threshold, message,"
                         " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (run_id, cycle, tripwire, monitor, key, value, threshold, message, time.time()))
        self.event(run_id, "system", "alert", {"cycle": cycle, "tripwire": tripwire, "monitor": monitor,
                                               "key": key, "value": value, "threshold": threshold})

    def alerts(self, run_id: str, cycle: int | None = None, open_only: bool = False) -> list[dict[str, Any]]:
        sql, args = _SELECT + " WHERE a.run_id = ?", [run_id]
        if cycle is not None:
            sql, args = sql + " AND a.cycle = ?", args + [cycle]
        if open_only:
            sql += " AND a.signoff_id IS NULL"
        return self._rows(sql + " ORDER BY a.id", args)

    def signoffs(self, run_id: str, cycle: int | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM signoffs WHERE run_id = ?", [run_id]
        if cycle is not None:
            sql, args = sql + " AND cycle = ?", args + [cycle]
        return self._rows(sql + " ORDER BY id", args)

    def sign_off(self, run_id: str, cycle: int, by: str, note: str) -> int:
        """Release every open alert of `cycle` with one sign-off; returns its id."""
        with self._transaction() as db:
            ids = [r["id"] for r in db.execute("SELECT id FROM alerts WHERE run_id = ? AND cycle = ?"
                                               " AND signoff_id IS NULL", (run_id, cycle))]
            if not ids:
                raise NothingToSignOff(f"cycle {cycle} of run {run_id} has no open alert to sign off")
            signoff = db.execute("INSERT INTO signoffs (run_id, cycle, signed_by, note, ts) VALUES (?, ?, ?, ?, ?)",
                                 (run_id, cycle, by, note, time.time())).lastrowid
            db.executemany("UPDATE alerts SET signoff_id = ? WHERE id = ?", [(signoff, i) for i in ids])
            self.event(run_id, by, "sign_off", {"cycle": cycle, "note": note, "alerts": ids})
        return int(signoff)
