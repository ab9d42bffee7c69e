"""The report's oversight section, read from the store: per cycle, the training targets by provenance
(verified / propagated / model) and difficulty, the disputes (held, adjudicated and to what, settled by rule)
and the agreement between overseers (Cohen's kappa on the items two of them judged)."""

from __future__ import annotations

from typing import Any

from ida.review.disputes import dispute_counts
from ida.store import Store

PROVENANCES = ("verified", "propagated", "model")
NOT_TRAINED = ("reject", "dropped", "held")


def provenance_by_difficulty(store: Store, run_id: str, cycle: int) -> dict[str, dict[str, int]]:
    """{provenance: {difficulty: targets}} of one cycle's stored training targets."""
    out: dict[str, dict[str, int]] = {p: {} for p in PROVENANCES}
    for row in store.examples(run_id, cycle):
        if row.target is None or row.verdict in NOT_TRAINED or row.target_provenance not in out:
            continue
        per = out[row.target_provenance]
        per[str(row.difficulty)] = per.get(str(row.difficulty), 0) + 1
    return out


def oversight_section(store: Store, run_id: str, cycles: list[int], rule: str) -> list[dict[str, Any]]:
    """One entry per reviewed cycle: provenance totals and per difficulty, and the dispute counts."""
    out = []
    for cycle in cycles:
        by_difficulty = provenance_by_difficulty(store, run_id, cycle)
        totals = {p: sum(v.values()) for p, v in by_difficulty.items()}
        verdicts, decided = store.review_verdicts(cycle=cycle), store.review_adjudications(cycle=cycle)
        if not any(totals.values()) and not verdicts:
            continue
        out.append({"index": cycle, "provenance": totals, "provenance_by_difficulty": by_difficulty,
                    "disputes": dispute_counts(verdicts, decided, rule)})
    return out


def oversight_rows(section: list[dict[str, Any]]) -> list[list[Any]]:
    """Table rows: cycle, verified, propagated, model, disputes, held, adjudicated (decisions), kappa."""
    rows = []
    for c in section:
        d = c["disputes"]
        decisions = ", ".join(f"{k} {v}" for k, v in sorted(d["decisions"].items()))
        rows.append([c["index"], *(c["provenance"][p] for p in PROVENANCES), d["disputes"], d["held"],
                     f"{d['adjudicated']}" + (f" ({decisions})" if decisions else ""), d["by_rule"],
                     "-" if d["kappa"] is None else f"{d['kappa']:.2f} (n={d['overlap_items']})"])
    return rows


OVERSIGHT_HEADER = ["cycle", "verified", "propagated", "model", "disputes", "held", "adjudicated", "by rule",
                    "kappa"]
