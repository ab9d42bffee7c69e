"""Typed rows that cross modules through the store."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExampleRow:
    """One amplified example as stored: the question, Amp(H, M_n)'s answer (None: failed), the graph transcript
    (`SubquestionGraph.to_json()`), provenance (model version, overseer, error), and the review's verdict and
    training target once the review phase has run."""

    question_id: str
    difficulty: int
    prompt: str
    answer: str | None
    true_answer: str | None = None
    graph: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    verdict: str | None = None
    target: str | None = None
    cycle: int | None = None  # set when read back from the store
    target_provenance: str | None = None  # verified / propagated / model, once reviewed (`ida.review.outcome`)

    def reviewed(self, verdict: str | None, target: str | None, target_provenance: str | None = None) -> ExampleRow:
        """The same row with the review's verdict, training target and the target's provenance."""
        return ExampleRow(self.question_id, self.difficulty, self.prompt, self.answer, self.true_answer, self.graph,
                          self.provenance, verdict, target, self.cycle, target_provenance)


@dataclass(frozen=True)
class Lease:
    """A live (or ended) claim of one review item by one overseer, with the item's coordinates."""

    id: int
    item_id: int
    user: str
    claimed: float
    expires: float
    run_id: str
    cycle: int
    question_id: str
    node: int
    key: str | None = None  # a node item's memo key (`ida.review.nodes.memo_key`); None for a whole example

    def seconds_left(self, now: float | None = None) -> float:
        return max(0.0, self.expires - (time.time() if now is None else now))


@dataclass(frozen=True)
class Account:
    """A stored account of the oversight app (the password hash stays inside the store's users table)."""

    name: str
    role: str
    email: str | None
    password: str | None


@dataclass(frozen=True)
class WorkspaceStep:
    """One subquestion an overseer asked in a workspace: as typed (`text`, may refer to earlier answers as #N),
    as the model was asked (`asked`, references filled), and the model's answer."""

    position: int
    text: str
    asked: str
    answer: str
    answered_by: str
    user: str


@dataclass(frozen=True)
class Workspace:
    """A question an overseer decomposes as H under a lease; `answer` is set once it is finished."""

    id: int
    run_id: str
    cycle: int
    question_id: str
    text: str
    prompt: str
    difficulty: int
    model_version: str
    holder: str | None
    expires: float | None
    answer: str | None
    finished_by: str | None
    steps: tuple[WorkspaceStep, ...] = ()

    @property
    def finished(self) -> bool:
        return self.answer is not None

    def held_by(self, user: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self.holder == user and self.expires is not None and self.expires > now
