"""The monitor phase of a cycle (after evaluate, before promote): compute the monitors, check the tripwires, and
store monitors, alerts and the phase's result in one transaction."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ida.safety.alerts import record_alerts
from ida.safety.monitors import compute_monitors
from ida.safety.tripwires import check_tripwires

if TYPE_CHECKING:
    from ida.run import Run


def monitor_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    with run.progress.phase(f"cycle {cycle} · monitor", total=None):
        monitors = compute_monitors(run, cycle)
    alerts = check_tripwires(run.config.safety, cycle, {**run.records.metrics().get(cycle, {}), **monitors})
    result = {"alerts": len(alerts), "tripped": sorted({a.tripwire for a in alerts}),
              "seconds": time.perf_counter() - start}
    run.records.finish_phase(cycle, "monitor", result, metrics=monitors,
                             also=lambda records: record_alerts(records, cycle, alerts))
