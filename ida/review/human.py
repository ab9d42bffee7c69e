"""The `human` review policy: a cycle's sampled items go to the review queue, overseers judge them in the
browser (`ida review RUN_DIR`), and their verdicts decide the training targets.

What is queued (`review.unit`: whole examples, node items per memo key, or both) and in which order
(`review.sampling`) is planned by `ida.review.outcome.plan_review`; the queue serves items in that order.
Accept keeps the amplified answer, edit replaces it by the overseer's answer, reject leaves the example out; a
node edit or reject propagates to every graph that used the subanswer. Two verdicts on one item (the overlap
slice) that disagree are a dispute, settled by `review.disputes` (`ida.review.disputes`: held for an admin by
default). Examples without a verdict when the phase
ends (not sampled, or still open with `wait: false`) follow `review.unreviewed`.

Enqueueing is idempotent and the sample is seeded, so a resumed review phase waits for the same items.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ida.config import ReviewConfig
from ida.progress import RunProgress
from ida.review.disputes import dispute_counts, settle_verdicts
from ida.review.outcome import UNREVIEWED, NodeVerdict, plan_review, settle
from ida.review.policies import Review, ReviewRequest
from ida.review.queue import WHOLE_EXAMPLE, ReviewQueue
from ida.store import RunRecords

__all__ = ["UNREVIEWED", "combine", "combine_nodes", "human_review"]


def combine(verdicts: list[dict], rule: str = "strictest", adjudications: list[dict] = ()) -> dict[str, Review]:
    """One `Review` per question from its whole-example verdicts, disputes settled by `rule`
    (`ida.review.disputes`); a held dispute gives a `held` review that trains on nothing."""
    whole = lambda v: v["question_id"] if v["node"] == WHOLE_EXAMPLE and v.get("key") is None else None  # noqa: E731
    out = {}
    for qid, s in settle_verdicts(verdicts, rule, list(adjudications), whole).items():
        if s.held:
            out[qid] = Review(qid, "held", None, s.users, "disputed: waits for an admin", provenance="model")
        else:
            out[qid] = Review(qid, s.verdict, s.target, s.users, s.comment, provenance="verified")  # type: ignore[arg-type]
    return out


def combine_nodes(verdicts: list[dict], rule: str = "strictest", adjudications: list[dict] = ()
                  ) -> dict[str, NodeVerdict]:
    """One `NodeVerdict` per memo key from its node items' verdicts, disputes settled by `rule`; a held dispute
    gives a `held` node verdict (the graphs that used it train on nothing)."""
    return {key: NodeVerdict(key, "held" if s.held else s.verdict, s.target, s.users, s.comment)  # type: ignore[arg-type]
            for key, s in settle_verdicts(verdicts, rule, list(adjudications), lambda v: v.get("key")).items()}


def human_review(request: ReviewRequest, cfg: ReviewConfig,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[list[Review], dict]:
    """Queue the sample, wait for its verdicts if `cfg.wait`, and return one `Review` per example that is
    trained on or rejected, plus the phase result's record."""
    records, cycle = request.records, request.cycle
    queue = ReviewQueue(request.store, cfg.lease_minutes)
    plan = plan_review(request, cfg)
    keys = plan.queue_keys()
    queue.enqueue(records.id, cycle, keys, cfg.overlap, request.seed)
    if cfg.wait:
        _wait(queue, records, cycle, cfg.poll_seconds, request.progress, request.app_hint, sleep)
    verdicts, decided = queue.verdicts(cycle=cycle), queue.adjudications(cycle=cycle)
    reviews, record = settle(request, cfg, plan, combine(verdicts, cfg.disputes, decided),
                             combine_nodes(verdicts, cfg.disputes, decided))
    record["disputes"] = dispute_counts(verdicts, decided, cfg.disputes)
    done, wanted = records.review_progress(cycle)
    return reviews, {"queued": len(keys), "human_verdicts": done, "verdicts_wanted": wanted, **record}


def _wait(queue: ReviewQueue, records: RunRecords, cycle: int, poll: float, progress: RunProgress,
          app_hint: str, sleep: Callable[[float], None]) -> None:
    done, wanted = records.review_progress(cycle)
    if done >= wanted:
        return
    records.event("system", "review_wait", {"cycle": cycle, "done": done, "wanted": wanted})
    progress.log(f"cycle {cycle}: waiting for {wanted - done} of {wanted} reviews; open the app with: {app_hint}")
    with progress.phase(f"cycle {cycle} · review", total=wanted) as bar:
        while done < wanted:
            bar.update(completed=done, total=wanted, info=app_hint)
            sleep(poll)
            queue.expire()  # returns abandoned items to the queue (and logs it) even while nobody claims
            done, wanted = records.review_progress(cycle)
        bar.update(completed=done, total=wanted, info="all reviewed")
