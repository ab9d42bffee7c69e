"""Target filters: which amplified answers become training targets (`amplify.filters`, and always truncation).

Each `TargetFilter` looks at one usable example and keeps it or drops it (its answer becomes UNKNOWN, so review
leaves it out of training and the stored row says which filter dropped it in `provenance["dropped_by"]`). They run
in order, after Amp (and the vote), on what the previous ones kept:

- `truncated` (always on): the example used a generation cut at `model.max_answer_tokens` (no end-of-answer
  token). `TruncationGuard`, the innermost wrapper of the student in the amplifier, turns such an answer into
  UNKNOWN before H or a vote sees it and remembers it; this filter counts the examples that used one (and drops any
  that still came out usable, e.g. H answered around it). A cut answer is never trained on as complete.
- `format` (`filters.format`): the answer has the form and length the task says it must (`well_formed`).
- `confidence` (`filters.min_confidence`): the product of the example's model-answered subanswer probabilities.

Counts per filter, `{name: {kept, dropped}}`, go into the amplify phase result's `filters` (the vote's, when
there is a vote, under `vote`). Filters read the question and the model's outputs only, never a label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from ida.amplify.examples import AmplifiedExample
from ida.config import FiltersConfig
from ida.models.base import Answer, Answerer
from ida.tasks import UNKNOWN
from ida.tasks.answers import well_formed


@dataclass
class FilterCount:
    kept: int = 0
    dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"kept": self.kept, "dropped": self.dropped}


class TargetFilter(Protocol):
    name: str

    def keep(self, example: AmplifiedExample) -> bool: ...


class TruncationGuard:
    """The student's answers with truncated ones (no EOS within the budget) turned into UNKNOWN; each such
    (model version, prompt) is added to `cut`, shared with the `truncated` filter."""

    def __init__(self, inner: Answerer, cut: set[tuple[str, str]]) -> None:
        self.inner, self.cut, self.version = inner, cut, inner.version
        self.usage = None  # the local student costs nothing to call

    def close(self) -> None:
        """The student is the run's: nothing to release here."""

    def answer(self, prompts: list[str]) -> list[Answer]:
        out = []
        for prompt, a in zip(prompts, self.inner.answer(prompts)):
            if getattr(a, "truncated", False) and not a.failed:
                self.cut.add((self.version, prompt))
                a = Answer(UNKNOWN, a.logprobs)
            out.append(a)
        return out


@dataclass
class TruncationFilter:
    cut: set[tuple[str, str]] = field(default_factory=set)
    name: str = "truncated"

    def used_cut(self, example: AmplifiedExample) -> bool:
        g = example.graph
        for i in g.nodes():
            node = g.node(i)
            by = node.get("answered_by")
            if isinstance(by, str) and (by.removeprefix("memo:"), node.get("prompt")) in self.cut:
                return True
        return False

    def keep(self, example: AmplifiedExample) -> bool:
        return not self.used_cut(example)


@dataclass
class FormatFilter:
    task: object
    name: str = "format"

    def keep(self, example: AmplifiedExample) -> bool:
        return well_formed(self.task, example.question, example.answer)


@dataclass
class ConfidenceFilter:
    min_confidence: float
    name: str = "confidence"

    def keep(self, example: AmplifiedExample) -> bool:
        return example_confidence(example) >= self.min_confidence


def example_confidence(example: AmplifiedExample) -> float:
    """Product of the confidences of the model-answered nodes (1.0 when H answered alone or none is known)."""
    g = example.graph
    logs = [math.log(max(c, 1e-300)) for i in g.nodes()
            if i != g.root and (c := g.node(i).get("confidence")) is not None]
    if not logs and g.node(g.root).get("confidence") is not None:  # direct: the root is the model's answer
        logs = [math.log(max(g.node(g.root)["confidence"], 1e-300))]
    return math.exp(sum(logs))


def target_filters(cfg: FiltersConfig, task: object, cut: set[tuple[str, str]]) -> list[TargetFilter]:
    """The run's filters in the order they apply: truncation always, then format and confidence when on."""
    out: list[TargetFilter] = [TruncationFilter(cut)]
    if cfg.format:
        out.append(FormatFilter(task))
    if cfg.min_confidence is not None:
        out.append(ConfidenceFilter(cfg.min_confidence))
    return out


def apply_filters(examples: list[AmplifiedExample], filters: list[TargetFilter]
                  ) -> tuple[list[AmplifiedExample], dict[str, dict[str, int]]]:
    """The examples with dropped ones' answers set to UNKNOWN, and the counts per filter. The truncation filter
    counts every example that used a cut generation (usable or not); the others count usable examples."""
    counts = {f.name: FilterCount() for f in filters}
    out = []
    for e in examples:
        for f in filters:
            if not e.usable and not isinstance(f, TruncationFilter):
                continue
            if f.keep(e):
                counts[f.name].kept += e.usable
                continue
            counts[f.name].dropped += 1
            answer = UNKNOWN if e.usable else e.answer  # a failed example (None) stays failed
            e = AmplifiedExample(e.question, answer, e.graph, {**e.provenance, "dropped_by": f.name}, e.error)
        out.append(e)
    return out, {name: c.as_dict() for name, c in counts.items()}
