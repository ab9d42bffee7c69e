"""Review policies: who checks amplified examples before they become training targets. One `ReviewPolicy` per
`review.policy` name in `REVIEW_POLICIES`, chosen once when a run is opened (`Run.review_policy`).

- `none`: every usable example is accepted as it is.
- `simulated`: an overseer program that knows the true answers accepts right targets and rejects wrong ones,
  but gives the wrong verdict with probability `error_rate` (research on how oversight errors propagate). It
  reviews the items `review.unit` / `review.sampling` / `review.sample_rate` choose (`ida.review.outcome`); a
  node item is judged against the task's true answer of the subquestion: a wrong subanswer is edited to the
  truth (and propagates), a right one accepted; a flipped verdict rejects a right one or accepts a wrong one.
- `human`: overseers in the browser (`ida.review.human`).

`review.policy` may also name an `ida.review_policies` entry point or an import path `module:attr` (see
`ida.plugins`): a class or factory called with the `review` config section that gives an object with
`review(request) -> (reviews, counts)`.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ida.amplify.examples import is_usable
from ida.config import ReviewConfig
from ida.evaluate import is_right
from ida.plugins import Registry, require_callable, require_methods
from ida.store import ExampleRow, RunRecords, Store
from ida.tasks import Question, Task

if TYPE_CHECKING:
    from decomposition import Answerer, Program
    from ida.progress import RunProgress
    from ida.review.nodes import NodeItem
    from ida.review.outcome import NodeVerdict

Verdict = Literal["accept", "edit", "reject"]
# What became of an example: a person's verdict, or what a node verdict did to it unseen (`propagated`: a
# recomposed or node-accepted target; `dropped`: a subanswer it used was rejected, or it could not be recomposed),
# or `held`: its own verdicts disagree and wait for an admin (`ida.review.disputes`).
Outcome = Literal["accept", "edit", "reject", "propagated", "dropped", "held"]
# Where a training target comes from (`ida.review.provenance`).
Provenance = Literal["verified", "propagated", "model"]


@dataclass(frozen=True)
class Review:
    """An overseer's verdict on one example; for `edit`, `target` is the corrected answer. `graph` is the
    recomposed graph (JSON) when a node verdict changed the target (see `ida.review.propagate`). `provenance`:
    `verified` (a person, or the simulated overseer, saw this question and answer), `propagated` (derived from a
    node verdict, unseen) or `model` (no one saw it)."""

    question_id: str
    verdict: Outcome
    target: str | None
    reviewer: str
    comment: str = ""
    graph: dict | None = None
    provenance: Provenance = "model"


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
    programs: Callable[[Question], Program] | None = None  # the decomposer's program per question (default H)
    fallback: Callable[[str], Answerer | None] | None = None  # model version -> who answers a new subquestion

    @property
    def records(self) -> RunRecords:
        """The run's rows in `store` (bound to `run_id`)."""
        return self.store.run(self.run_id)


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
        reviews.append(Review(question.id, verdict, answer if right else None, "simulated", provenance="verified"))
    return reviews


class ProgramReview:
    """`none` and `simulated`: decided in-process, at once."""

    def __init__(self, cfg: ReviewConfig) -> None:
        self.cfg = cfg

    def review(self, request: ReviewRequest) -> tuple[list[Review], dict[str, Any]]:
        if self.cfg.policy == "none":
            items = [(request.questions[r.question_id], r.answer) for r in request.rows]
            return review_examples(items, request.task, self.cfg, request.seed), {}
        return simulated_review(request, self.cfg)


def simulated_review(request: ReviewRequest, cfg: ReviewConfig) -> tuple[list[Review], dict[str, Any]]:
    """The simulated overseer on the sampled examples and node items (see the module docstring)."""
    from ida.review.outcome import NodeVerdict, judge_nodes, plan_review, settle, truth

    plan = plan_review(request, cfg)
    rng = random.Random(request.seed)
    items = [(request.questions[r.question_id], r.answer) for r in plan.examples]
    examples = {r.question_id: r for r in review_examples(items, request.task, cfg, request.seed)}

    def judge(sub: Question, item: NodeItem) -> NodeVerdict | None:
        true = truth(request.task, sub)
        if true is None:
            return None  # nothing to check it against: left unreviewed
        actually_right = is_right(request.task, sub, item.answer)
        right = not actually_right if rng.random() < cfg.error_rate else actually_right
        if right:
            return NodeVerdict(item.key, "accept", None, "simulated")
        if not actually_right:
            return NodeVerdict(item.key, "edit", true, "simulated")
        return NodeVerdict(item.key, "reject", None, "simulated")

    return settle(request, cfg, plan, examples, judge_nodes(plan, request, judge))


class HumanReview:
    """`human`: the cycle's sample goes to the review queue; see `ida.review.human`."""

    def __init__(self, cfg: ReviewConfig) -> None:
        self.cfg = cfg

    def review(self, request: ReviewRequest) -> tuple[list[Review], dict[str, Any]]:
        from ida.review.human import human_review

        return human_review(request, self.cfg)


REVIEW_POLICIES: dict[str, Callable[[ReviewConfig], ReviewPolicy]] = {
    "none": ProgramReview, "simulated": ProgramReview, "human": HumanReview}
FIELD = "review.policy"


def adapt_review_policy(obj: Any, where: str) -> Callable[[ReviewConfig], ReviewPolicy]:
    if inspect.isclass(obj):
        require_methods(obj, ["review"], FIELD, "review policy class")
    require_callable(obj, where, "the review policy")
    return obj


REVIEW_POLICY_REGISTRY: Registry[Callable[[ReviewConfig], ReviewPolicy]] = Registry(
    "review policy", FIELD, "ida.review_policies", entries=REVIEW_POLICIES, adapt=adapt_review_policy)


def register_review_policy(name: str, factory: Callable[[ReviewConfig], ReviewPolicy]) -> None:
    """Make `factory` (a class or callable taking the `review` config section) known as `review.policy`."""
    REVIEW_POLICY_REGISTRY.register(name, adapt_review_policy(factory, f"review policy {name!r}"))


def make_review_policy(cfg: ReviewConfig) -> ReviewPolicy:
    """The policy `review.policy` names (registered, an entry point or `module:attr`), built from `cfg`."""
    policy = REVIEW_POLICY_REGISTRY.get(cfg.policy)(cfg)
    require_methods(policy, ["review"], FIELD, "review policy")
    return policy
