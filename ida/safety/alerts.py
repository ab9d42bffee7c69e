"""Alerts and sign-offs in the run's Store, for the CLI (`ida approve`) and the oversight app's alerts page.

    list_alerts(run.records)                   # every alert, newest cycle last, with its sign-off if any
    open_alerts(run.records, cycle)            # the alerts still holding a cycle's promotion
    sign_off(run.records, cycle, by, note)     # an admin releases the cycle; logged with who, why and when
Every trip and every sign-off is also written to the append-only event log.
"""

from __future__ import annotations

from typing import Any

from ida.safety.tripwires import Alert
from ida.store import NothingToSignOff, RunRecords


def record_alerts(records: RunRecords, cycle: int, alerts: list[Alert]) -> None:
    """Insert a cycle's alerts (inside the caller's transaction) and log each as an event."""
    for a in alerts:
        records.add_alert(cycle, a.tripwire, a.monitor, a.key, a.value, a.threshold, a.message)


def list_alerts(records: RunRecords, cycle: int | None = None, open_only: bool = False) -> list[dict[str, Any]]:
    """Alerts as dicts (id, cycle, tripwire, monitor, key, value, threshold, message, created, signoff_id,
    signed_by, note, signed_at), ordered by id."""
    return records.alerts(cycle, open_only)


def open_alerts(records: RunRecords, cycle: int) -> list[dict[str, Any]]:
    return list_alerts(records, cycle, open_only=True)


def signoffs(records: RunRecords, cycle: int | None = None) -> list[dict[str, Any]]:
    return records.signoffs(cycle)


def sign_off(records: RunRecords, cycle: int, by: str, note: str) -> int:
    """Release every open alert of `cycle` with one sign-off (who, why, when); returns the sign-off's id.
    The held promotion completes on the next `ida resume` (or at once in a process waiting for sign-off)."""
    if not by.strip() or not note.strip():
        raise ValueError("a sign-off needs who (by) and why (note)")
    return records.sign_off(cycle, by, note)


__all__ = ["NothingToSignOff", "list_alerts", "open_alerts", "record_alerts", "sign_off", "signoffs"]
