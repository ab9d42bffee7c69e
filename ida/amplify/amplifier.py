"""The amplifier of a run, built once from the `amplify` config through the registries: who answers
(`ida.models.registry`: the student M_n, an OpenAI-compatible endpoint, a LangChain chat model, ...), who
decomposes (`ida.amplify.decomposers`: the task's H, an LLM's plans, nobody, ...) and how deep
(`amplify.depth`, HCH-style recursion through `decomposition.recursive`).

    with Amplifier(cfg.amplify, task, student) as amp:
        examples = amp.amplify(questions)
        usage = amp.take_usage()          # tokens, cost, retries since the last take (None for the student)
        failures = amp.failures           # question id -> reasons its LLM plans were rejected
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from decomposition import Program, WaveStats
from ida.amplify.decomposers import AmplifyContext, decomposer_provider
from ida.amplify.examples import AmplifiedExample
from ida.amplify.executors import executor
from ida.amplify.filters import TruncationGuard
from ida.config import AmplifyConfig
from ida.models.base import Answer, Answerer
from ida.models.registry import answerer_provider
from ida.tasks import UNKNOWN, Question, Task

USAGE_KEYS = ("requests", "retries", "failures", "prompt_tokens", "completion_tokens", "cost")


class Amplifier:
    """Answerer + decomposer + depth for Amp(H, M_n) under one `amplify` config (see the module docstring)."""

    def __init__(self, cfg: AmplifyConfig, task: Task, student: Answerer, filter_unsure: bool = False,
                 context: AmplifyContext | None = None) -> None:
        self.cfg, self.task = cfg, task
        provider = answerer_provider(cfg.answerer.kind)
        self.answerer: Any = provider.build(cfg.answerer, student)
        self._built = self.answerer
        self.owns_answerer = not provider.student or provider.engine
        self.student_answers, self.filter_unsure = provider.student, filter_unsure
        self.cut: set[tuple[str, str]] = set()  # (version, prompt) of truncated generations (`ida.amplify.filters`)
        decomposer = decomposer_provider(cfg.decomposer)
        self.people = decomposer.people
        self.answerer = self.wrap(self.answerer)
        self.decomposer = decomposer.build(cfg, task, provider)
        prepare = getattr(self.decomposer, "prepare", None)  # decomposers that work through the run's store
        if context is not None and prepare is not None:
            prepare(context, self.answerer.version)

    def wrap(self, student: Answerer) -> Answerer:
        """The student's answers as the amplifier uses them: truncated ones UNKNOWN (innermost, before anything
        reads the text), read by the task's parser, unsure ones UNKNOWN (amplify phase, `min_confidence`)."""
        if not self.student_answers:
            return student
        # The human as H saw M_n's raw text in the app and wrote the target: the replay must give what they saw.
        answerer: Any = student if self.people else TruncationGuard(student, self.cut)
        if self.task.answer_parser is not None:
            answerer = ParsedAnswerer(answerer, self.task.answer_parser)  # H reads "It is 17." as 17
        if self.filter_unsure and self.cfg.min_confidence is not None:
            answerer = ConfidentAnswerer(answerer, self.cfg.min_confidence)
        return answerer

    @property
    def student(self) -> Any:
        """The answerer as built (the local student M_n for answerer.kind local), before any wrapper."""
        return self._built

    @property
    def plain(self) -> bool:
        """Amp(H, M_n) with the task's own H and the student: nothing to record beyond accuracy."""
        return not self.owns_answerer and self.cfg.decomposer == "task"

    @property
    def overseer(self) -> str:
        return self.decomposer.overseer(self.answerer.version)

    @property
    def failures(self) -> dict[str, list[tuple[str, str]]]:
        return self.decomposer.failures

    def programs(self, questions: list[Question]) -> list[Program]:
        return [self._program(q) for q in questions]

    def _program(self, question: Question) -> Program:
        """The decomposer's program; one that cannot even be made (a plug-in that raises) fails its graph alone."""
        try:
            return self.decomposer.program(question, self.cfg.depth)
        except Exception as exc:
            return _raising(exc)

    def amplify(self, questions: list[Question],
                on_wave: Callable[[WaveStats], None] | None = None) -> list[AmplifiedExample]:
        """Amp(H, answerer) on `questions` with this amplifier's answerer, decomposer and depth, on the executor
        `amplify.executor` names (this process, or Ray workers)."""
        return executor(self.cfg.executor).amplify(self, questions, on_wave)

    def take_usage(self) -> dict[str, float] | None:
        """Usage since the last call (and reset it); None when the answerer is the local student."""
        usage = self.answerer.usage
        if usage is None:
            return None
        snapshot = usage.reset()
        return {key: float(getattr(snapshot, key)) for key in USAGE_KEYS}

    def close(self) -> None:
        if self.owns_answerer:
            self._built.close()  # not a wrapper's close: the engine or endpoint itself

    def __enter__(self) -> Amplifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _raising(exc: Exception) -> Program:
    raise exc
    yield  # a generator: the executor records the error as this graph's failure


class ConfidentAnswerer:
    """An answerer whose answers below `min_confidence` (the product of the answer tokens' probabilities) come
    back as UNKNOWN: H then returns UNKNOWN for the question and the example is not usable. IDA's targets then
    grow from what M_n knows instead of from its guesses at questions beyond its frontier. Answers without
    log-probs pass unchanged."""

    def __init__(self, inner: Answerer, min_confidence: float) -> None:
        self.inner, self.min_logprob = inner, math.log(min_confidence)
        self.version = inner.version  # same model: the executor's memo stays per version
        self.filtered = 0
        self.usage = None  # it wraps the student, which costs nothing to call

    def close(self) -> None:
        """The student is the run's, not this wrapper's: nothing to release."""

    def answer(self, prompts: list[str]) -> list[Answer]:
        out = []
        for a in self.inner.answer(prompts):
            unsure = a.logprobs is not None and not a.failed and sum(a.logprobs) < self.min_logprob
            self.filtered += unsure
            out.append(Answer(UNKNOWN, a.logprobs) if unsure else a)
        return out


class ParsedAnswerer:
    """The student's answers as the task reads them (`Task.answer_parser`, set for pretrained students), so H's
    programs see "17" where the model said "The answer is 17."."""

    def __init__(self, inner: Answerer, parser: Callable[[str], str]) -> None:
        self.inner, self.parser, self.version = inner, parser, inner.version
        self.usage = None

    def close(self) -> None:
        """The student is the run's: nothing to release here."""

    def answer(self, prompts: list[str]) -> list[Answer]:
        return [a if a.failed else Answer(self.parser(a.text), a.logprobs) for a in self.inner.answer(prompts)]
