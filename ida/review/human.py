"""The `human` review policy: a cycle's sampled examples go to the review queue, overseers judge them in the
browser (`ida review RUN_DIR`), and their verdicts decide the training targets.

Accept keeps the amplified answer, edit replaces it by the overseer's answer, reject leaves the example out. With
two verdicts (the overlap slice) a reject wins over an edit, and an edit over an accept. Examples without a verdict
when the phase ends (not sampled, or still open with `wait: false`) follow `review.unreviewed`.

Enqueueing is idempotent and the sample is seeded, so a resumed review phase waits for the same items.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ida.amplify.examples import is_usable
from ida.config import ReviewConfig
from ida.progress import RunProgress
from ida.review.policies import Review
from ida.review.queue import WHOLE_EXAMPLE, ReviewQueue
from ida.store import ExampleRow, Store

UNREVIEWED = "unreviewed"  # the reviewer name on examples trained on without a verdict (unreviewed: include)
_RANK = {"accept": 0, "edit": 1, "reject": 2}


def sample_for_review(rows: list[ExampleRow], cfg: ReviewConfig, seed: int) -> list[ExampleRow]:
    """The usable examples that go to people: a seeded `sample_rate` share, at most `quota`."""
    rng = random.Random(seed)
    sampled = [r for r in rows if is_usable(r.answer) and rng.random() < cfg.sample_rate]
    return sampled if cfg.quota is None else sampled[:cfg.quota]


def combine(verdicts: list[dict]) -> dict[str, Review]:
    """One `Review` per question from its whole-example verdicts (reject > edit > accept)."""
    by_question: dict[str, list[dict]] = {}
    for v in verdicts:
        if v["node"] == WHOLE_EXAMPLE:
            by_question.setdefault(v["question_id"], []).append(v)
    out = {}
    for qid, vs in by_question.items():
        worst = max(vs, key=lambda v: _RANK[v["verdict"]])
        comment = " | ".join(v["comment"] for v in vs if v["comment"])
        out[qid] = Review(qid, worst["verdict"], worst["target"], "+".join(v["user"] for v in vs), comment)
    return out


def human_review(store: Store, run_id: str, cycle: int, rows: list[ExampleRow], cfg: ReviewConfig, seed: int,
                 progress: RunProgress, app_hint: str,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[list[Review], dict]:
    """Queue the sample, wait for its verdicts if `cfg.wait`, and return one `Review` per example that is
    trained on or rejected, plus counts for the phase result."""
    queue = ReviewQueue(store, cfg.lease_minutes)
    sampled = sample_for_review(rows, cfg, seed)
    queue.enqueue(run_id, cycle, [(r.question_id, WHOLE_EXAMPLE) for r in sampled], cfg.overlap, seed)
    if cfg.wait:
        _wait(queue, store, run_id, cycle, cfg.poll_seconds, progress, app_hint, sleep)
    judged = combine(queue.verdicts(cycle=cycle))
    reviews, unreviewed = [], 0
    for r in rows:
        if not is_usable(r.answer):
            continue
        review = judged.get(r.question_id)
        if review is not None:
            target = r.answer if review.verdict == "accept" else review.target
            reviews.append(Review(review.question_id, review.verdict, target, review.reviewer, review.comment))
            continue
        unreviewed += 1
        if cfg.unreviewed == "include":
            reviews.append(Review(r.question_id, "accept", r.answer, UNREVIEWED))
    done, wanted = queue.progress(run_id, cycle)
    return reviews, {"queued": len(sampled), "human_verdicts": done, "verdicts_wanted": wanted,
                     "unreviewed": unreviewed, "unreviewed_rule": cfg.unreviewed}


def _wait(queue: ReviewQueue, store: Store, run_id: str, cycle: int, poll: float, progress: RunProgress,
          app_hint: str, sleep: Callable[[float], None]) -> None:
    done, wanted = queue.progress(run_id, cycle)
    if done >= wanted:
        return
    store.event(run_id, "system", "review_wait", {"cycle": cycle, "done": done, "wanted": wanted})
    progress.log(f"cycle {cycle}: waiting for {wanted - done} of {wanted} reviews; open the app with: {app_hint}")
    with progress.phase(f"cycle {cycle} · review", total=wanted) as bar:
        while done < wanted:
            bar.update(completed=done, total=wanted, info=app_hint)
            sleep(poll)
            queue.expire()  # returns abandoned items to the queue (and logs it) even while nobody claims
            done, wanted = queue.progress(run_id, cycle)
        bar.update(completed=done, total=wanted, info="all reviewed")
