"""Diversity injection: mix a share of earlier cycles' data, or of true-answer ("human") data, into each
distillation set, against the loss of tails that self-training causes. Seeded per cycle, so a resumed review
phase mixes the same examples."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ida.seeds import seed_for

if TYPE_CHECKING:
    from ida.distill.data import Example
    from ida.run import Run


def inject_diversity(run: Run, cycle: int, dataset: list[Example]) -> tuple[list[Example], dict]:
    """`dataset` plus round(share x len(dataset)) injected examples, and what was done (for the phase result)."""
    from ida.distill.data import read_jsonl, supervised_examples  # the model stack: only when training

    cfg = run.config.safety
    info = {"share": cfg.diversity_share, "source": cfg.diversity_source, "mixed": 0}
    want = round(cfg.diversity_share * len(dataset))
    if want == 0:
        return dataset, info
    if cfg.diversity_source == "human":
        pool = supervised_examples(run.task, run.task.questions("train"))
    else:
        pool = [e for c in range(1, cycle) if (p := run.paths.dataset(c)).exists() for e in read_jsonl(p)]
    picked = random.Random(seed_for(run.config.seed, "diversity", cycle)).sample(pool, min(want, len(pool)))
    return dataset + picked, {**info, "mixed": len(picked)}
