"""Reviewer statistics from the verdicts table: throughput, time per item, verdict rates, and agreement on the
overlap slice (items judged by two overseers)."""

from __future__ import annotations

import statistics
from itertools import combinations
from typing import Any


def _outcome(v: dict) -> tuple[str, str | None]:
    # Two edits agree only if they wrote the same answer.
    return v["verdict"], v["target"] if v["verdict"] == "edit" else None


def _by_item(verdicts: list[dict]) -> dict[int, list[dict]]:
    by_item: dict[int, list[dict]] = {}
    for v in verdicts:
        by_item.setdefault(v["item_id"], []).append(v)
    return by_item


def agreement(verdicts: list[dict]) -> tuple[float | None, int]:
    """(share of overseer pairs on the same item who gave the same outcome, number of pairs)."""
    pairs = [(a, b) for vs in _by_item(verdicts).values() for a, b in combinations(vs, 2)]
    if not pairs:
        return None, 0
    return sum(_outcome(a) == _outcome(b) for a, b in pairs) / len(pairs), len(pairs)


def disputed(verdicts: list[dict]) -> dict[int, list[dict]]:
    """The items whose overseers gave different outcomes (the overlap slice's disagreements), by item id."""
    return {i: vs for i, vs in _by_item(verdicts).items() if len({_outcome(v) for v in vs}) > 1}


def reviewer_stats(verdicts: list[dict]) -> list[dict[str, Any]]:
    """One row per overseer, then an `all` row: items, items per hour of review time, median seconds per item,
    accept/edit/reject rates, and agreement with the other overseer on shared items."""
    users = sorted({v["user"] for v in verdicts})
    rows = [_row(u, [v for v in verdicts if v["user"] == u], verdicts) for u in users]
    if verdicts:
        rows.append(_row("all", verdicts, verdicts))
    return rows


def _row(name: str, mine: list[dict], everyone: list[dict]) -> dict[str, Any]:
    seconds = [v["seconds"] for v in mine]
    n = len(mine)
    total = sum(seconds)
    if name == "all":
        agree, pairs = agreement(everyone)
    else:
        by_item = _by_item(everyone)
        mine_vs_others = [(m, o) for m in mine for o in by_item[m["item_id"]] if o["user"] != name]
        pairs = len(mine_vs_others)
        agree = sum(_outcome(m) == _outcome(o) for m, o in mine_vs_others) / pairs if pairs else None
    return {
        "user": name, "items": n,
        "items_per_hour": round(3600 * n / total, 1) if total > 0 else None,
        "median_seconds": round(statistics.median(seconds), 1) if seconds else None,
        **{f"{k}_rate": round(sum(v["verdict"] == k for v in mine) / n, 3) if n else None
           for k in ("accept", "edit", "reject")},
        "agreement": None if agree is None else round(agree, 3), "overlap_pairs": pairs,
    }
