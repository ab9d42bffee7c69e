"""Gating promotion: a cycle with open alerts is not promoted; the run is marked `paused` until an admin signs
off (`ida approve RUN_DIR --cycle N --note ...` or the app's alerts page)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ida.safety.alerts import open_alerts

if TYPE_CHECKING:
    from ida.run import Run


def promotion_held(run: Run, cycle: int) -> bool:
    """True (and the run marked paused, once) while `cycle` has alerts nobody signed off."""
    pending = open_alerts(run.records, cycle)
    if not pending:
        return False
    if run.records.run_row()["status"] != "paused":
        run.records.set_status("paused")
        run.records.event("system", "promotion_held", {"cycle": cycle, "alerts": [a["id"] for a in pending]})
    for a in pending:
        run.progress.log(f"[red]ALERT[/red] {a['message']}")
    run.progress.log(f"cycle {cycle}: M_{cycle} NOT promoted; run paused until sign-off: "
                     f"ida approve {run.dir} --cycle {cycle} --note '...'")
    return True


def wait_for_signoff(run: Run, cycle: int, poll_s: float = 2.0,
                     sleep: Callable[[float], None] = time.sleep) -> None:
    """Block until `cycle` has no open alert (another process signs off), then mark the run running again."""
    while open_alerts(run.records, cycle):
        sleep(poll_s)
    run.records.set_status("running")
