"""Which items get the review budget, and in which order they are served: `review.sampling`.

- `random`: a seeded uniform sample.
- `stratified`: an equal share per difficulty (round robin over the difficulties, each shuffled; a difficulty
  that runs out leaves its turns to the others), so the few hard items are not drowned by the many easy ones.
- `uncertainty`: the least confident first (an example's confidence is that of its least confident subanswer);
  items of unknown confidence come last, in seeded random order.

The budget is `round(sample_rate * candidates)` items, at most `quota`. Candidates are put in a canonical order
(by id) and shuffled with the seed before any rule applies, so storage order never decides who is reviewed; the
returned order is the priority order of the queue. Rules are registered in `SAMPLING_RULES`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """A reviewable item: `id` (question id or memo key) for the canonical order, its difficulty and
    confidence, and the thing itself (`ref`)."""

    id: str
    difficulty: int
    confidence: float | None
    ref: Any = None


Rule = Callable[[list[Candidate], random.Random], list[Candidate]]


def _random(cands: list[Candidate], rng: random.Random) -> list[Candidate]:
    return cands  # already shuffled


def _stratified(cands: list[Candidate], rng: random.Random) -> list[Candidate]:
    strata: dict[int, list[Candidate]] = {}
    for c in cands:
        strata.setdefault(c.difficulty, []).append(c)
    order, queues = [], [strata[d] for d in sorted(strata)]
    while any(queues):
        order += [q.pop(0) for q in queues if q]
    return order


def _uncertainty(cands: list[Candidate], rng: random.Random) -> list[Candidate]:
    # stable sort: equal confidences keep the seeded shuffle's order
    return sorted(cands, key=lambda c: (c.confidence is None, c.confidence or 0.0))


SAMPLING_RULES: dict[str, Rule] = {"random": _random, "stratified": _stratified, "uncertainty": _uncertainty}


def budget(n: int, rate: float, quota: int | None) -> int:
    """How many of `n` candidates are reviewed."""
    size = min(n, int(rate * n + 0.5))
    return size if quota is None else min(size, quota)


def sample(cands: list[Candidate], rule: str, rate: float, quota: int | None, seed: int) -> list[Candidate]:
    """The candidates that are reviewed, in the order they are served (see the module docstring)."""
    if rule not in SAMPLING_RULES:
        raise ValueError(f"review.sampling: unknown rule {rule!r}; known: {', '.join(sorted(SAMPLING_RULES))}")
    rng = random.Random(seed)
    shuffled = sorted(cands, key=lambda c: c.id)
    rng.shuffle(shuffled)
    return SAMPLING_RULES[rule](shuffled, rng)[:budget(len(cands), rate, quota)]


def describe(chosen: list[Candidate], rule: str, seed: int, of: int) -> dict[str, Any]:
    """What the phase result records about a sample."""
    per: dict[str, int] = {}
    for c in chosen:
        per[str(c.difficulty)] = per.get(str(c.difficulty), 0) + 1
    return {"rule": rule, "seed": seed, "candidates": of, "sampled": len(chosen),
            "per_difficulty": dict(sorted(per.items(), key=lambda kv: int(kv[0])))}
