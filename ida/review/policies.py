"""Review policies: who checks amplified examples before they become training targets. One `ReviewPolicy` per
`review.policy` name in `REVIEW_POLICIES`, chosen once when a run is opened (`Run.review_policy`).

- `none`: every usable example is accepted as it is.
- `simulated`: an overseer program that knows the true answers accepts right targets and rejects wrong ones,
  but gives the wrong verdict with probability `error_rate` (research on how oversight errors propagate).
- `human`: overseers in the browser (`ida.review.human`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ida.amplify.examples import is_usable
from ida.config import ReviewConfig
from ida.evaluate import is_right
from ida.store import ExampleRow, Store
from ida.tasks import Question, Task

if TYPE_CHECKING:
    from ida.progress import RunProgress

Verdict = Literal["accept", "edit", "reject"]


@dataclass(frozen=True)
class Review:
    """An overseer's verdict on one example; for `edit`, `target` is the corrected answer."""

    question_id: str
    verdict: Verdict
    target: str | None
    reviewer: str
    comment: str = ""


@dataclass(frozen=True)
class ReviewRequest:
    """What the review phase of one cycle hands its policy: the cycle's stored examples and where they live."""

    store: Store
    run_id: str
    cycle: int
    rows: list[ExampleRow]
    questions: dict[str, Question]  # question id -> the train question
    task: Task
    seed: int
    progress: RunProgress
    app_hint: str  # the command that opens the oversight app on this run


class ReviewPolicy(Protocol):
    """Returns one `Review` per example that is trained on or rejected, and counts for the phase result."""

    def review(self, request: ReviewRequest) -> tuple[list[Review], dict[str, Any]]: ...


def review_examples(items: list[tuple[Question, str | None]], task: Task, cfg: ReviewConfig,
                    seed: int) -> list[Review]:
    """`none` / `simulated`: one `Review` per usable (question, amplified answer) pair; unusable ones are never
    training targets."""
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


class ProgramReview:
    """`none` and `simulated`: decided in-process, at once."""

    def __init__(self, cfg: ReviewConfig) -> None:
        self.cfg = cfg

    def review(self, request: ReviewRequest) -> tuple[list[Review], dict[str, Any]]:
        items = [(request.questions[r.question_id], r.answer) for r in request.rows]
        return review_examples(items, request.task, self.cfg, request.seed), {}


class HumanReview:
    """`human`: the cycle's sample goes to the review queue; see `ida.review.human`."""

    def __init__(self, cfg: ReviewConfig) -> None:
        self.cfg = cfg

    def review(self, request: ReviewRequest) -> tuple[list[Review], dict[str, Any]]:
        from ida.review.human import human_review

        return human_review(request.store, request.run_id, request.cycle, request.rows, self.cfg, request.seed,
                            request.progress, app_hint=request.app_hint)


REVIEW_POLICIES: dict[str, Callable[[ReviewConfig], ReviewPolicy]] = {
    "none": ProgramReview, "simulated": ProgramReview, "human": HumanReview}


def register_review_policy(name: str, factory: Callable[[ReviewConfig], ReviewPolicy]) -> None:
    REVIEW_POLICIES[name] = factory


def make_review_policy(cfg: ReviewConfig) -> ReviewPolicy:
    if cfg.policy not in REVIEW_POLICIES:
        raise ValueError(f"review.policy: unknown policy {cfg.policy!r}; known: {', '.join(sorted(REVIEW_POLICIES))}")
    return REVIEW_POLICIES[cfg.policy](cfg)
