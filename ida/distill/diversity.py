"""Diversity injection: mix a share of earlier cycles' data, or of true-answer ("human") data, into each
distillation set, against the loss of tails that self-training causes (`safety.diversity_share` /
`safety.diversity_source`). Seeded per cycle by the caller, so a resumed review phase mixes the same examples."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ida.config import SafetyConfig
    from ida.distill.data import Example
    from ida.tasks import Task


def inject_diversity(dataset: list[Example], cfg: SafetyConfig, task: Task, earlier: list[Path],
                     seed: int) -> tuple[list[Example], dict]:
    """`dataset` plus round(share x len(dataset)) injected examples (from the `earlier` cycles' dataset files, or
    the task's true answers), and what was done (for the review phase's result)."""
    from ida.distill.data import read_jsonl, supervised_examples  # the model stack: only when training

    info = {"share": cfg.diversity_share, "source": cfg.diversity_source, "mixed": 0}
    want = round(cfg.diversity_share * len(dataset))
    if want == 0:
        return dataset, info
    if cfg.diversity_source == "human":
        pool = supervised_examples(task, task.questions("train"))
    else:
        pool = [e for p in earlier if p.exists() for e in read_jsonl(p)]
    picked = random.Random(seed).sample(pool, min(want, len(pool)))
    return dataset + picked, {**info, "mixed": len(picked)}
