"""Number formatting and small aggregates shared by the reports (tables, HTML, the comparison)."""

from __future__ import annotations


def pct(value: float | None) -> str:
    """An accuracy as a whole percentage, "-" when undefined."""
    return "-" if value is None else f"{100 * value:.0f}"


def mean(values: dict[str, float]) -> float | None:
    """The mean of a {key: value} metric (e.g. accuracy per difficulty), None when empty."""
    return sum(values.values()) / len(values) if values else None
