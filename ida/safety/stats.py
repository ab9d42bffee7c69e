"""Distribution statistics of a set of answers (collapse monitors): entropy, distinct-n, top-answer share."""

from __future__ import annotations

import math
from collections import Counter


def answer_stats(answers: list[str | None]) -> dict[str, float]:
    """Entropy (bits) of the answer strings, share of the most common answer, distinct-1 and distinct-2 (distinct
    n-grams over all n-grams of the answers' tokens; left out when the answers have no n-grams). A failed answer
    (None) counts as the empty answer."""
    texts = ["" if a is None else a for a in answers]
    if not texts:
        return {}
    counts = Counter(texts)
    n = len(texts)
    out = {"answer_entropy": -sum(c / n * math.log2(c / n) for c in counts.values()) + 0.0,
           "top_answer_share": max(counts.values()) / n}
    tokens = [t.split() for t in texts]
    for size in (1, 2):
        grams = [tuple(t[i:i + size]) for t in tokens for i in range(len(t) - size + 1)]
        if grams:
            out[f"distinct_{size}"] = len(set(grams)) / len(grams)
    return out
