"""The review queue: items (a node or a whole example of a cycle), leases, and verdicts, in the run's SQLite store.

Used by the cycle (enqueue, wait, read verdicts) and by the oversight app (claim, release, submit). The rows
live in the store (`ida.store.review`): every change is one `BEGIN IMMEDIATE` transaction, so a claim is atomic
across processes: an item has at most one live lease, and an expired lease returns its item at the next claim.

An item wants `copies` verdicts (2 for the overlap slice that measures agreement, else 1), each from a different
overseer, one after the other. Node 0 (the graph's root) stands for the whole example; a node item (a
model-answered subquestion) carries its memo key and is stored under the first graph that used it
(`ida.review.nodes`). Items are claimed newest cycle first, then in their enqueued (sampled) order.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from ida.store import ExampleRow, Lease, LeaseError, Store

WHOLE_EXAMPLE = 0  # the root node: reviewing it is reviewing the amplified answer
VERDICTS: tuple[str, ...] = ("accept", "edit", "reject")


class ReviewQueue:
    """The queue of one store. Cheap to make; give each thread its own `Store`."""

    def __init__(self, store: Store, lease_minutes: float = 5.0, clock: Callable[[], float] = time.time):
        self.store, self.lease_seconds, self.clock = store, lease_minutes * 60.0, clock

    # -- the cycle's side ---------------------------------------------------------------------------------------
    def enqueue(self, run_id: str, cycle: int, keys: Iterable[tuple], overlap: float = 0.0,
                seed: int = 0) -> int:
        """Add (question_id, node) or (question_id, node, memo key) items, in the order they are to be served:
        an item's priority is its position (the sampled order, never storage order). A fixed share `overlap` of
        them wants two verdicts. Idempotent: items already queued keep their state. Returns how many were new."""
        keys = list(dict.fromkeys(tuple(k) for k in keys))
        twice = set(random.Random(seed).sample(range(len(keys)), round(overlap * len(keys))))
        items = [(k[0], k[1], 2 if i in twice else 1, k[2] if len(k) > 2 else None, float(i))
                 for i, k in enumerate(keys)]
        return self.store.review_enqueue(run_id, cycle, items, self.clock())

    def progress(self, run_id: str, cycle: int) -> tuple[int, int]:
        """(verdicts given, verdicts wanted) for a cycle's items."""
        return self.store.review_progress(run_id, cycle)

    def open_count(self) -> int:
        """Verdicts still wanted over the whole store (for the app's header)."""
        return self.store.review_open_count()

    # -- the overseer's side ------------------------------------------------------------------------------------
    def claim(self, user: str) -> Lease | None:
        """The user's live lease, else a new lease on the next open item (newest cycle first) that this user has
        not judged yet; None when there is none."""
        return self.store.review_claim(user, self.clock, self.lease_seconds)

    def current(self, user: str) -> Lease | None:
        """The user's live lease (expiring any that ran out first)."""
        return self.store.review_current(user, self.clock)

    def release(self, lease_id: int, user: str) -> None:
        """Give the item back unjudged."""
        self.store.review_release(lease_id, user, self.clock)

    def expire(self) -> int:
        """End every lease past its window; their items return to the queue. Returns how many."""
        return self.store.review_expire(self.clock)

    def submit(self, lease_id: int, user: str, verdict: str, target: str | None = None, comment: str = "",
               validate: Callable[[str], str | None] | None = None, reclaim: bool = False) -> dict:
        """Record a verdict under a live lease. `edit` needs the corrected answer as `target` (whitespace is
        normalised; `validate(target)` -> error text, e.g. `Task.validate_answer`, refuses it with ValueError);
        accept and reject keep no target. Raises `LeaseError` if the lease is not live; with `reclaim`, a lease
        that ran out is first claimed again when nobody else holds its item (the verdict is never lost)."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        target = " ".join(target.split()) if (verdict == "edit" and target) else None
        if verdict == "edit" and not target:
            raise ValueError("an edit needs the corrected answer")
        if verdict == "edit" and validate is not None and (error := validate(target or "")):
            raise ValueError(error)
        try:
            return self.store.review_submit(lease_id, user, verdict, target, comment, self.clock)
        except LeaseError:
            if not reclaim:
                raise
        lease = self.store.review_reclaim(lease_id, user, self.clock, self.lease_seconds)
        return self.store.review_submit(lease.id, user, verdict, target, comment, self.clock)

    def adjudicate(self, item_id: int, user: str, verdict: str, target: str | None = None, note: str = "",
                   validate: Callable[[str], str | None] | None = None) -> dict:
        """An admin's decision on a disputed item (`ida.review.disputes`): accept, edit (with the answer, checked
        like a verdict's) or reject, with a note saying why. `LeaseError` when the item is unknown or decided."""
        if verdict not in VERDICTS:
            raise ValueError(f"decision must be one of {VERDICTS}, got {verdict!r}")
        target = " ".join(target.split()) if (verdict == "edit" and target) else None
        if verdict == "edit" and not target:
            raise ValueError("an edit needs the corrected answer")
        if verdict == "edit" and validate is not None and (error := validate(target or "")):
            raise ValueError(error)
        if not note.strip():
            raise ValueError("say why in the note: it is kept with the decision")
        return self.store.review_adjudicate(item_id, user, verdict, target, note.strip(), self.clock)

    def adjudications(self, cycle: int | None = None) -> list[dict[str, Any]]:
        return self.store.review_adjudications(cycle)

    def undo(self, user: str, run_id: str) -> Lease:
        """Take back the user's latest verdict while its cycle's review phase is open; the item is leased to
        them again. `LeaseError` (with the reason) when it cannot be undone."""
        return self.store.review_undo(user, run_id, self.clock, self.lease_seconds)

    def lease(self, lease_id: int) -> Lease | None:
        """A lease by id, live or ended."""
        return self.store.review_lease(lease_id)

    # -- reading ------------------------------------------------------------------------------------------------
    def verdicts(self, user: str | None = None, cycle: int | None = None) -> list[dict[str, Any]]:
        """Verdicts joined with their items, oldest first."""
        return self.store.review_verdicts(user, cycle)

    def items(self, cycle: int | None = None) -> list[dict[str, Any]]:
        return self.store.review_items(cycle)

    def example(self, lease: Lease) -> ExampleRow | None:
        """The stored example (prompt, answer, graph, ...) a lease's item belongs to."""
        return self.store.example(lease.run_id, lease.cycle, lease.question_id)

    def leases(self) -> list[dict[str, Any]]:
        return self.store.review_leases()


__all__ = ["VERDICTS", "WHOLE_EXAMPLE", "Lease", "LeaseError", "ReviewQueue"]
