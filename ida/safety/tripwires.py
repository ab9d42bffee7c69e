"""`Tripwire`s: thresholds from the run's `safety` section, checked against a cycle's monitors after they are
computed. A tripped wire becomes an `Alert` (stored with the monitors in one transaction) that holds the cycle's
promotion until an admin signs off."""

from __future__ import annotations

from dataclasses import dataclass

from ida.config import SafetyConfig

Values = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Alert:
    """One tripped wire: which monitor value crossed which threshold."""

    tripwire: str
    monitor: str
    key: str
    value: float
    threshold: float
    message: str


@dataclass(frozen=True)
class Tripwire:
    """Trips when `values[monitor][key]` (every key when `key` is None) is above (or, with above=False, below)
    the threshold in `safety.<field>`; from `from_cycle` on (comparisons with the untrained M_0 are not gated)."""

    name: str
    field: str
    monitor: str
    key: str | None
    above: bool = True
    from_cycle: int = 1

    def check(self, cfg: SafetyConfig, cycle: int, values: Values) -> list[Alert]:
        threshold = getattr(cfg, self.field)
        if threshold is None or cycle < self.from_cycle:
            return []
        found = values.get(self.monitor, {})
        keys = sorted(found) if self.key is None else [self.key] if self.key in found else []
        side, word = (">", "above") if self.above else ("<", "below")
        return [Alert(self.name, self.monitor, k, found[k], threshold,
                      f"{self.name}: {self.monitor}[{k}] = {found[k]:.3f} at cycle {cycle}, {word} "
                      f"safety.{self.field} = {threshold} ({self.monitor}[{k}] {side} {threshold})")
                for k in keys if (found[k] > threshold if self.above else found[k] < threshold)]


TRIPWIRES = (
    Tripwire("accuracy_jump", "max_accuracy_jump", "jump", None, from_cycle=2),
    Tripwire("frontier_jump", "max_frontier_jump", "frontier", "change"),
    Tripwire("capability_ceiling", "max_accuracy", "student", None),
    Tripwire("collapse_entropy", "min_answer_entropy_ratio", "collapse", "answer_entropy_ratio", above=False,
             from_cycle=2),
    Tripwire("collapse_top_answer", "max_top_answer_share", "collapse", "top_answer_share"),
    Tripwire("drift", "max_drift_kl", "drift", "kl", from_cycle=2),
    Tripwire("reject_rate", "max_reject_rate", "oversight", "reject_rate"),
)


def check_tripwires(cfg: SafetyConfig, cycle: int, values: Values) -> list[Alert]:
    """Every alert of `cycle`; `values` holds the cycle's metrics (student, amplified, ...) and monitors."""
    return [a for wire in TRIPWIRES for a in wire.check(cfg, cycle, values)]
