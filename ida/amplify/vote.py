"""Self-improvement as a second amplifier: majority vote over the student's sampled answers (`amplify.vote`).

The amplifier runs k times; in each pass the student samples its (sub)answers at `vote.temperature` under its own
seed. Per question, the most common usable answer over the k passes becomes the target when at least
`min_agreement` of the k passes gave it (agreement = count / k: failed and unknown answers count against it);
otherwise the example is dropped: its answer is UNKNOWN, so review leaves it out of training, and the phase
result counts it. With `decomposer: direct` this is the filter-then-fine-tune loop of STaR / RFT / expert
iteration (Lee et al. 2025 grew addition lengths this way); with `decomposer: task` it votes over Amp(H, M_n)'s
answers. Evaluation stays greedy (one pass, no vote).

    examples, record = amplify_with_vote(amp, questions, cfg.amplify.vote, seed=7)   # record: kept, dropped, ...
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from decomposition import WaveStats
from ida.amplify.amplifier import Amplifier, ConfidentAnswerer
from ida.amplify.examples import AmplifiedExample, is_usable
from ida.config import VoteConfig
from ida.models.base import Answer
from ida.seeds import seed_for
from ida.tasks import UNKNOWN, Question


class SamplingAnswerer:
    """The student answering by sampling (one pass of a vote): a new seed per call, all derived from `seed`, so
    a pass is reproducible. Its version differs per pass, so the executor's memo never mixes passes."""

    def __init__(self, student, temperature: float, seed: int, index: int) -> None:
        self.student, self.temperature, self.seed, self.calls = student, temperature, seed, 0
        self.version = f"{student.version}~sample{index}"
        self.usage = None  # the local student costs nothing to call

    def close(self) -> None:
        """The student is the run's, not this wrapper's: nothing to release."""

    def answer(self, prompts: list[str]) -> list[Answer]:
        self.calls += 1
        gens = self.student.generate(prompts, max_new_tokens=self.student.max_answer_tokens + 1,
                                     temperature=self.temperature, seed=seed_for(self.seed, "sample", self.calls))
        return self.student.answers(gens)  # a cut generation is marked truncated


def majority(question: Question, passes: list[AmplifiedExample], min_agreement: float) -> AmplifiedExample:
    """The voted example of one question from its k passes (see the module docstring)."""
    votes = Counter(e.answer for e in passes if is_usable(e.answer))
    top, count = votes.most_common(1)[0] if votes else (None, 0)
    agreement = count / len(passes)
    kept = top is not None and agreement >= min_agreement
    source = next((e for e in passes if e.answer == top), passes[0]) if kept else passes[0]
    provenance = {**source.provenance, "vote": {"samples": len(passes), "agreement": agreement, "kept": kept}}
    return AmplifiedExample(question, top if kept else UNKNOWN, source.graph, provenance, None)


def amplify_with_vote(amp: Amplifier, questions: list[Question], vote: VoteConfig | None, seed: int,
                      on_wave: Callable[[WaveStats], None] | None = None, earlier: Sequence[Any] = ()
                      ) -> tuple[list[AmplifiedExample], dict | None]:
    """Amp's examples: one greedy pass when `vote` is None, else k sampled passes voted per question; the second
    value is the vote's record for the phase result (None without a vote). `earlier`: the models before the
    amplifier's student (M_(n-2), M_(n-3), ...), each adding k passes (`vote.models`, Lee's multi-model vote)."""
    if vote is None:
        return amp.amplify(questions, on_wave=on_wave), None
    greedy = amp.answerer
    students = [amp.student, *earlier][:vote.models]
    passes: list[list[AmplifiedExample]] = []
    filtered = 0
    try:
        for j, student in enumerate(students):
            for i in range(vote.samples):
                sampler = SamplingAnswerer(student, vote.temperature, seed_for(seed, "vote", 100_003 * j + i), i)
                amp.answerer = amp.wrap(sampler)
                passes.append(amp.amplify(questions, on_wave=on_wave))
                filtered += getattr(amp.answerer, "filtered", 0)
    finally:
        amp.answerer = greedy
    if isinstance(greedy, ConfidentAnswerer):
        greedy.filtered += filtered
    examples = [majority(q, [p[i] for p in passes], vote.min_agreement) for i, q in enumerate(questions)]
    kept = [e.provenance["vote"]["agreement"] for e in examples if e.provenance["vote"]["kept"]]
    record = {"samples": vote.samples, "temperature": vote.temperature, "min_agreement": vote.min_agreement,
              "models": len(students), "kept": len(kept), "dropped": len(examples) - len(kept),
              "mean_agreement": (sum(e.provenance["vote"]["agreement"] for e in examples) / len(examples)
                                 if examples else 0.0)}
    return examples, record
