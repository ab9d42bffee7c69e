"""Review policies: who checks amplified examples before they become training targets.

- `none`: every usable example is accepted as it is.
- `simulated`: an overseer program that knows the true answers accepts right targets and rejects wrong ones,
  but gives the wrong verdict with probability `error_rate` (research on how oversight errors propagate).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from ida.amplify import is_usable
from ida.evaluate import is_right
from ida.config import ReviewConfig
from ida.tasks import Question, Task

Verdict = Literal["accept", "edit", "reject"]


@dataclass(frozen=True)
class Review:
    """An overseer's verdict on one example; for `edit`, `target` is the corrected answer."""

    question_id: str
    verdict: Verdict
    target: str | None
    reviewer: str
    comment: str = ""


def review_examples(items: list[tuple[Question, str | None]], task: Task, cfg: ReviewConfig,
                    seed: int) -> list[Review]:
    """One `Review` per usable (question, amplified answer) pair; unusable ones are never training targets."""
    rng = random.Random(seed)
    reviews = []
    for question, answer in items:
        if not is_usable(answer):
            continue
        if cfg.policy == "none":
            reviews.append(Review(question.id, "accept", answer, "none"))
            continue
        right = is_right(task, question, answer)
        if rng.random() < cfg.error_rate:
            right = not right
        verdict: Verdict = "accept" if right else "reject"
        reviews.append(Review(question.id, verdict, answer if right else None, "simulated"))
    return reviews
