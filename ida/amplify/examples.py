"""Amplification: Amp(H, M_n) answers each question by running H's program, with M_n answering every
subquestion through the batched `Executor`. Each result is an `AmplifiedExample` carrying its graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from decomposition import Budget, Executor, Program, SubquestionGraph, WaveStats
from ida.config import AmplifyConfig
from ida.models.base import Answerer
from ida.store import ExampleRow
from ida.tasks import UNKNOWN, Question, Task


@dataclass
class AmplifiedExample:
    """A question, Amp(H, M_n)'s answer (None when it failed), the graph transcript and where it came from."""

    question: Question
    answer: str | None
    graph: SubquestionGraph
    provenance: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def usable(self) -> bool:
        return is_usable(self.answer)

    def to_row(self, true_answer: str | None) -> ExampleRow:
        """The stored form: the graph as JSON, the error kept in the provenance."""
        q = self.question
        return ExampleRow(q.id, q.difficulty, q.prompt, self.answer, true_answer, self.graph.to_json(),
                          {**self.provenance, "error": self.error})


def is_usable(answer: str | None) -> bool:
    """H recomposed an answer: not failed, and not H's own "I could not" (UNKNOWN)."""
    return answer is not None and answer != UNKNOWN


def make_executor(answerer: Answerer, cfg: AmplifyConfig) -> Executor:
    return Executor(answerer, Budget(max_nodes=cfg.max_nodes, max_depth=cfg.max_depth), memo=cfg.memo)


def amplify(task: Task, questions: list[Question], answerer: Answerer, cfg: AmplifyConfig,
            overseer: str = "H:program", on_wave: Callable[[WaveStats], None] | None = None,
            executor: Executor | None = None, programs: list[Program] | None = None) -> list[AmplifiedExample]:
    """Amp(H, answerer) on every question, all graphs at once in batched waves; `programs` (one per question)
    replace the task's H (e.g. LLM decomposition, see `ida.amplify.amplifier`)."""
    executor = executor or make_executor(answerer, cfg)
    programs = programs if programs is not None else [task.decompose(q) for q in questions]
    runs = executor.run(questions, programs, on_wave=on_wave)
    provenance = {"model_version": answerer.version, "overseer": overseer}
    return [AmplifiedExample(q, r.answer, r.graph, dict(provenance), r.error) for q, r in zip(questions, runs)]
