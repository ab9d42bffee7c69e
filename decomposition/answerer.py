"""The small `Answerer` protocol the executor depends on (so `decomposition` never imports `ida`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Answer:
    """One answer from an answerer: its text and, where the answerer has them, per-token log-probs. `truncated`:
    the generation was cut at the answer budget (no end-of-answer token), so the text may be incomplete."""

    text: str
    logprobs: tuple[float, ...] | None = None
    error: str | None = field(default=None)
    truncated: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None


@runtime_checkable
class Answerer(Protocol):
    """Batched answering: a list of prompts in, one `Answer` per prompt out, in order.

    `version` names the model version; the executor memoizes identical prompts per version.
    """

    version: str

    def answer(self, prompts: list[str]) -> list[Answer]: ...
