"""Disputes: two verdicts on one item (the overlap slice) that disagree, and how they are settled.

`review.disputes` chooses the rule once per run: `hold` (the default) keeps a disputed item out of training until
an admin adjudicates it (the Adjudicate page; the decision lands in the store's `adjudications` table with a
note), `majority` takes the most common outcome (a tie falls to the strictest), `strictest` takes reject > edit >
accept. An admin's decision wins under every rule. Agreement between two overseers is Cohen's kappa over the
items both judged.

    settled = settle_verdicts(verdicts, "hold", adjudications, group=lambda v: v["key"])
    settled[key].held        # True: disputed and not decided yet (trains on nothing)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RANK = {"accept": 0, "edit": 1, "reject": 2}  # strictest first when verdicts must be ranked
RULES = ("hold", "majority", "strictest")


def outcome(v: dict[str, Any]) -> tuple[str, str | None]:
    """What a verdict says: two edits agree only if they wrote the same answer."""
    return v["verdict"], v["target"] if v["verdict"] == "edit" else None


@dataclass(frozen=True)
class Settled:
    """One item's verdicts settled: the verdict that counts (None while held), who judged, their comments, and
    how it was settled (`single`, `agreed`, `adjudicated`, `majority`, `strictest`, `held`)."""

    verdict: str | None
    target: str | None
    users: str
    comment: str
    how: str

    @property
    def held(self) -> bool:
        return self.how == "held"


@dataclass
class Dispute:
    """An item whose verdicts disagree, with the admin's decision once there is one."""

    item_id: int
    verdicts: list[dict[str, Any]]
    decision: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> dict[str, Any]:
        return self.verdicts[0]


def by_item(verdicts: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for v in verdicts:
        out.setdefault(v["item_id"], []).append(v)
    return out


def disputes(verdicts: list[dict[str, Any]], adjudications: list[dict[str, Any]]) -> list[Dispute]:
    """Every disputed item, oldest first, with its decision (or None: still held)."""
    decided = {a["item_id"]: a for a in adjudications}
    return [Dispute(i, vs, decided.get(i)) for i, vs in by_item(verdicts).items() if len({outcome(v) for v in vs}) > 1]


def settle_one(vs: list[dict[str, Any]], rule: str, decision: dict[str, Any] | None) -> Settled:
    """The verdict that counts for one item's verdicts under `rule` (see the module docstring)."""
    users = "+".join(v["user"] for v in vs)
    comment = " | ".join(v["comment"] for v in vs if v["comment"])
    if len({outcome(v) for v in vs}) == 1:
        return Settled(vs[0]["verdict"], vs[0]["target"], users, comment, "single" if len(vs) == 1 else "agreed")
    if decision is not None:
        note = f"adjudicated by {decision['user']}: {decision['note']}".strip()
        return Settled(decision["verdict"], decision["target"], f"{users}+{decision['user']}", note, "adjudicated")
    if rule == "majority":
        counts = Counter(outcome(v) for v in vs)
        top = max(counts.values())
        if list(counts.values()).count(top) == 1:
            (verdict, target), _ = counts.most_common(1)[0]
            return Settled(verdict, target, users, comment, "majority")
    if rule in ("majority", "strictest"):
        worst = max(vs, key=lambda v: RANK[v["verdict"]])
        return Settled(worst["verdict"], worst["target"], users, comment, "strictest")
    return Settled(None, None, users, comment, "held")


def settle_verdicts(verdicts: list[dict[str, Any]], rule: str, adjudications: list[dict[str, Any]],
                    group: Callable[[dict[str, Any]], str | None]) -> dict[str, Settled]:
    """One `Settled` per group name (question id or memo key) of the verdicts; those grouped under None are
    left out."""
    decided = {a["item_id"]: a for a in adjudications}
    groups: dict[str, list[dict[str, Any]]] = {}
    items: dict[str, int] = {}
    for v in verdicts:
        if (name := group(v)) is not None:
            groups.setdefault(name, []).append(v)
            items[name] = v["item_id"]
    return {name: settle_one(vs, rule, decided.get(items[name])) for name, vs in groups.items()}


def cohen_kappa(verdicts: list[dict[str, Any]]) -> tuple[float | None, int]:
    """(Cohen's kappa between the first and second verdict of every item judged twice, number of such items);
    kappa is None with no such item, or when chance agreement is already total."""
    pairs = [(vs[0]["verdict"], vs[1]["verdict"]) for vs in by_item(verdicts).values() if len(vs) >= 2]
    if not pairs:
        return None, 0
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[k] * second[k] for k in RANK) / (n * n)
    return (None if chance >= 1 else round((observed - chance) / (1 - chance), 4)), n


def dispute_counts(verdicts: list[dict[str, Any]], adjudications: list[dict[str, Any]],
                   rule: str) -> dict[str, Any]:
    """For reports: disputes, how many an admin decided (and to what), how many are held or settled by rule."""
    found = disputes(verdicts, adjudications)
    decided = [d for d in found if d.decision is not None]
    kappa, pairs = cohen_kappa(verdicts)
    return {"disputes": len(found), "adjudicated": len(decided),
            "held": 0 if rule != "hold" else len(found) - len(decided),
            "by_rule": 0 if rule == "hold" else len(found) - len(decided),
            "decisions": dict(Counter(d.decision["verdict"] for d in decided)), "rule": rule,
            "kappa": kappa, "overlap_items": pairs}
