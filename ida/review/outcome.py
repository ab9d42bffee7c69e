"""What the review phase of a cycle does around its verdicts, for every policy that reviews (human, simulated):

1. `plan_review`: the reviewable items of the cycle (`review.unit`: whole examples, node items per memo key, or
   both), sampled by `review.sampling` (`ida.review.sampling`) into a served order. Examples H answered alone
   are accepted as H's own answers and never reviewed unless `review.include_h_only`.
2. The policy gives verdicts: per question id for examples, per memo key for nodes.
3. `settle`: node edits and rejects propagate (`ida.review.propagate`), then one `Review` per example that is
   trained on or rejected, and the phase result's record (sample, propagation, wrong targets caught).

An example's outcome: its own verdict (reject, edit, or accept of a usable answer) wins; else a propagated
change (verdict `propagated` with the recomposed target, or `dropped`); else H alone answered it; else (unit
node/both) every subanswer it used was accepted (`propagated`: nobody saw the whole); else `review.unreviewed`
decides. Each `Review` carries its target's provenance (verified / propagated / model), never a person's name
on a verdict they did not give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ida.amplify.examples import is_usable
from ida.config import ReviewConfig
from ida.evaluate import is_right
from ida.review.nodes import (
    NodeItem,
    example_confidence,
    h_only,
    model_nodes,
    node_items,
)
from ida.review.propagate import Change, propagate
from ida.review.sampling import Candidate, describe, sample
from ida.store import ExampleRow
from ida.tasks import Question, Task

if TYPE_CHECKING:
    from ida.review.policies import Review, ReviewRequest

UNREVIEWED = "unreviewed"  # the reviewer name on examples trained on without a verdict (unreviewed: include)
H_ONLY = "H"  # the reviewer name on examples H answered alone (accepted without review)


@dataclass(frozen=True)
class NodeVerdict:
    """The verdict on a node item (memo key); for `edit`, `target` is the corrected subanswer."""

    key: str
    verdict: str
    target: str | None
    reviewer: str
    comment: str = ""


@dataclass
class ReviewPlan:
    """The sampled items of one cycle, in the order they are served, and what the phase result records."""

    examples: list[ExampleRow] = field(default_factory=list)
    nodes: list[NodeItem] = field(default_factory=list)
    h_only: set[str] = field(default_factory=set)
    record: dict[str, Any] = field(default_factory=dict)

    def queue_keys(self) -> list[tuple]:
        """The queue's items, examples and nodes interleaved by rank: (question_id, node[, memo key])."""
        ranked = [(i, 0, (r.question_id, 0)) for i, r in enumerate(self.examples)]
        ranked += [(i, 1, (n.first.question_id, n.first.node, n.key)) for i, n in enumerate(self.nodes)]
        return [key for _, _, key in sorted(ranked, key=lambda t: t[:2])]


def subquestion(root: Question, text: str, known: dict[tuple[str, tuple[str, ...]], Question]) -> Question:
    """The subquestion `text` of `root` as a `Question` (the split's own when it has one): same task, same
    context, so the task can give its evidence and true answer."""
    return known.get((text, root.context)) or Question(f"{root.id}#{text}", text, root.difficulty, root.task,
                                                       root.context)


def truth(task: Task, question: Question) -> str | None:
    """The task's true answer, or None when it has none for this text (e.g. an LLM plan prompt)."""
    try:
        return task.true_answer(question)
    except (ValueError, KeyError, IndexError):
        return None


def plan_review(request: ReviewRequest, cfg: ReviewConfig) -> ReviewPlan:
    """Sample the cycle's reviewable items (see the module docstring)."""
    plan, record = ReviewPlan(), {}
    usable = [r for r in request.rows if is_usable(r.answer)]
    if not cfg.include_h_only:
        plan.h_only = {r.question_id for r in usable if h_only(r)}
    if cfg.unit in ("example", "both"):
        cands = [Candidate(r.question_id, r.difficulty, example_confidence(r), r) for r in usable
                 if r.question_id not in plan.h_only]
        chosen = sample(cands, cfg.sampling, cfg.sample_rate, cfg.quota, request.seed)
        plan.examples, record["examples"] = [c.ref for c in chosen], describe(chosen, cfg.sampling, request.seed,
                                                                              len(cands))
    if cfg.unit in ("node", "both"):
        known = {(q.text, q.context): q for q in request.questions.values()}
        cands = []
        for item in node_items(request.rows):
            root = request.questions.get(item.first.question_id)
            sub = subquestion(root, item.text, known) if root is not None else None
            cands.append(Candidate(item.key, sub.difficulty if sub else item.difficulty, item.confidence, item))
        seed = request.seed + 1  # a stream of its own, so unit both samples examples as unit example does
        chosen = sample(cands, cfg.sampling, cfg.sample_rate, cfg.quota, seed)
        plan.nodes, record["nodes"] = [c.ref for c in chosen], describe(chosen, cfg.sampling, seed, len(cands))
    plan.record = {"unit": cfg.unit, "sampling": record, "h_only_accepted": len(plan.h_only)}
    return plan


def settle(request: ReviewRequest, cfg: ReviewConfig, plan: ReviewPlan, examples: dict[str, Review],
           nodes: dict[str, NodeVerdict]) -> tuple[list[Review], dict[str, Any]]:
    """One `Review` per example trained on or rejected, and the phase result's record."""
    from ida.review.policies import Review

    corrections = {k: (None if v.verdict in ("reject", "held") else v.target) for k, v in nodes.items()
                   if v.verdict != "accept" and cfg.propagate != "off"}
    programs = request.programs or request.task.decompose
    changes, propagated = ({}, [])
    if corrections:
        changes, propagated = propagate(request.rows, corrections, programs, request.questions,
                                        fallback=request.fallback or (lambda version: None))
    accepted = {k for k, v in nodes.items() if v.verdict == "accept"}
    reviews, unreviewed = [], 0
    for r in request.rows:
        qid, own, change = r.question_id, examples.get(r.question_id), changes.get(r.question_id)
        if own is not None and (own.verdict != "accept" or is_usable(r.answer)):
            # a verdict on the whole example wins over anything propagated to it
            reviews.append(own if own.verdict != "accept" else
                           Review(qid, "accept", r.answer, own.reviewer, own.comment, provenance="verified"))
        elif change is not None:
            reviews.append(propagated_review(qid, change, nodes))
        elif not is_usable(r.answer):
            continue
        elif qid in plan.h_only:
            reviews.append(Review(qid, "accept", r.answer, H_ONLY))
        elif cfg.unit != "example" and (keys := [k for _, k in model_nodes(r)]) and set(keys) <= accepted:
            who = "+".join(dict.fromkeys(nodes[k].reviewer for k in keys))
            reviews.append(Review(qid, "propagated", r.answer, who, "every subanswer it used was accepted",
                                  provenance="propagated"))
        else:
            unreviewed += 1
            if cfg.unreviewed == "include":
                reviews.append(Review(qid, "accept", r.answer, UNREVIEWED))
    record = {**plan.record, "unreviewed": unreviewed, "unreviewed_rule": cfg.unreviewed,
              "propagated": propagated, "propagated_count": len({q for p in propagated for q in p["question_ids"]}),
              "provenance": provenance_counts(reviews), **caught(request, reviews)}
    return reviews, record


def propagated_review(qid: str, change: Change, nodes: dict[str, NodeVerdict]) -> Review:
    """What node verdicts did to an example nobody judged whole: never stored as a person's verdict on it."""
    from ida.review.policies import Review

    who = "+".join(dict.fromkeys(nodes[k].reviewer for k in change.keys))
    if change.answer is None:
        held = any(nodes[k].verdict == "held" for k in change.keys)
        why = "a subanswer it used is disputed: held for an admin" if held else change.reason
        return Review(qid, "dropped", None, who, why or "could not be recomposed", provenance="propagated")
    return Review(qid, "propagated", change.answer, who, "recomposed with reviewed subanswers", graph=change.graph,
                  provenance="propagated")


def provenance_counts(reviews: list[Review]) -> dict[str, int]:
    """Training targets per provenance (`verified`, `propagated`, `model`); rejected or dropped ones count not."""
    counts = {"verified": 0, "propagated": 0, "model": 0}
    for r in reviews:
        if r.target is not None and r.verdict not in ("reject", "dropped"):
            counts[r.provenance] += 1
    return counts


def caught(request: ReviewRequest, reviews: list[Review]) -> dict[str, int]:
    """Wrong targets (usable answers the task says are wrong), how many the review caught (rejected or corrected
    to a right target), how many wrong targets go to training anyway, and how many of those are `verified`."""
    final = {r.question_id: r for r in reviews}
    wrong = caught_n = trained_wrong = verified_wrong = 0
    for row in request.rows:
        q = request.questions.get(row.question_id)
        if q is None:
            continue
        review = final.get(row.question_id)
        target_ok = (review is None or review.verdict in ("reject", "dropped")
                     or is_right(request.task, q, review.target))
        trained_wrong += not target_ok
        verified_wrong += not target_ok and review is not None and review.provenance == "verified"
        if is_usable(row.answer) and truth(request.task, q) is not None and not is_right(request.task, q, row.answer):
            wrong += 1
            caught_n += review is not None and review.reviewer not in (UNREVIEWED, H_ONLY) and target_ok
    return {"wrong_targets": wrong, "wrong_caught": caught_n, "wrong_trained": trained_wrong,
            "verified_wrong": verified_wrong}


def judge_nodes(plan: ReviewPlan, request: ReviewRequest, judge: Callable[[Question, NodeItem], NodeVerdict | None]
                ) -> dict[str, NodeVerdict]:
    """Apply `judge(subquestion, item)` to the plan's node items (in served order)."""
    known = {(q.text, q.context): q for q in request.questions.values()}
    out = {}
    for item in plan.nodes:
        root = request.questions.get(item.first.question_id)
        if root is not None and (v := judge(subquestion(root, item.text, known), item)) is not None:
            out[item.key] = v
    return out
