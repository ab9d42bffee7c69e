"""The amplifier of a run, built from the `amplify` config: who answers (the student M_n, an OpenAI-compatible
endpoint or a LangChain chat model), who decomposes (the task's H, the `LLMDecomposer`, or nobody) and how deep
(`amplify.depth`, HCH-style recursion through `decomposition.recursive`).

    with Amplifier(cfg.amplify, task, student) as amp:
        examples = amp.amplify(questions)
        usage = amp.take_usage()          # tokens, cost, retries since the last take (None for the student)
        failures = amp.failures           # question id -> reasons its LLM plans were rejected

`preflight` checks a config against its task before any work, naming the field at fault.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any

from decomposition import Program, WaveStats
from decomposition.recursive import recursive_program
from ida.amplify import AmplifiedExample, amplify
from ida.amplifier_config import STUDENT_KINDS
from ida.config import AmplifyConfig, RunConfig
from ida.models.base import Answer, Answerer
from ida.models.student import check_student
from ida.tasks import UNKNOWN, Question, Task

USAGE_KEYS = ("requests", "retries", "failures", "prompt_tokens", "completion_tokens", "cost")


def preflight(config: RunConfig, task: Task) -> None:
    """Raise ValueError (naming the config field) for a config this task cannot run, before any work."""
    amp = config.amplify
    check_student(config)  # model.pretrained, LoRA targets, vLLM: each a one-line error before any work
    if amp.decomposer == "task" and not getattr(task, "can_decompose", True):
        raise ValueError(f"amplify.decomposer: task {task.name!r} has no H program of its own; "
                         "set amplify.decomposer to llm (with an LLM answerer) or direct")
    if amp.answerer.kind == "openai":
        from ida.models.openai_api import OpenAIAnswerer

        try:
            OpenAIAnswerer(amp.answerer.openai).close()  # checks the key; opens no connection
        except ValueError as err:
            raise ValueError(f"amplify.answerer.openai: {err}") from None
    if amp.answerer.kind == "langchain":
        _import(amp.answerer.langchain_factory or "")
    if config.eval.baseline and not any(task.true_answer(q) is not None for q in task.questions("train")):
        raise ValueError("eval.baseline: no train question has a reference answer to train the supervised "
                         "baseline on; set eval.baseline=false")


class Amplifier:
    """Answerer + programs for Amp(H, M_n) under one `amplify` config (see the module docstring)."""

    def __init__(self, cfg: AmplifyConfig, task: Task, student: Answerer, filter_unsure: bool = False) -> None:
        self.cfg, self.task = cfg, task
        self._owned = None if cfg.answerer.kind == "local" else build_llm_answerer(cfg, student)
        self.answerer = student if self._owned is None else self._owned
        if getattr(task, "answer_parser", None) is not None and cfg.answerer.kind in STUDENT_KINDS:
            self.answerer = ParsedAnswerer(self.answerer, task.answer_parser)  # H reads "It is 17." as 17
        if filter_unsure and cfg.min_confidence is not None and cfg.answerer.kind in STUDENT_KINDS:
            self.answerer = ConfidentAnswerer(self.answerer, cfg.min_confidence)
        self.failures: dict[str, list[tuple[str, str]]] = {}  # question id -> (question text, reason)
        self._decomposer: Any = None
        if cfg.decomposer == "llm":
            from decomposition.decomposers import LLMDecomposer

            d = cfg.llm_decomposer
            self._decomposer = LLMDecomposer(None, max_subquestions=d.max_subquestions, max_depth=d.max_depth,
                                             retries=d.retries)

    @property
    def overseer(self) -> str:
        if self.cfg.decomposer == "task":
            return "H:program"
        return f"H:{self.cfg.decomposer}:{self.answerer.version}"

    def programs(self, questions: list[Question]) -> list[Program]:
        return [self._program(q) for q in questions]

    def amplify(self, questions: list[Question],
                on_wave: Callable[[WaveStats], None] | None = None) -> list[AmplifiedExample]:
        """Amp(H, answerer) on `questions` with this amplifier's answerer, decomposer and depth."""
        return amplify(self.task, questions, self.answerer, self.cfg, overseer=self.overseer, on_wave=on_wave,
                       programs=self.programs(questions))

    def _program(self, q: Question) -> Program:
        kind, depth = self.cfg.decomposer, self.cfg.depth
        if kind == "task":
            expand = lambda item: self.task.decompose(item) if isinstance(item, Question) else None  # noqa: E731
            return recursive_program(self.task.decompose(q), expand, depth)
        if kind == "direct":
            if self.cfg.answerer.kind in STUDENT_KINDS:
                return _ask(q)  # the student sees the task's own prompt format
            from decomposition.decomposers import DirectDecomposer

            return DirectDecomposer().program(llm_text(q))
        sink: list[tuple[str, str]] = []
        self.failures.pop(q.id, None)
        program = self._decomposer.program(llm_text(q), failures=sink)
        expand = lambda item: (self._decomposer.program(item.text, failures=sink)  # noqa: E731
                               if getattr(item, "kind", None) == "subquestion" else None)
        return _recording(recursive_program(program, expand, depth), sink, self.failures, q.id)

    def take_usage(self) -> dict[str, float] | None:
        """Usage since the last call (and reset it); None when the answerer is the local student."""
        usage = getattr(self.answerer, "usage", None)
        if usage is None or self.cfg.answerer.kind in STUDENT_KINDS:
            return None
        snapshot = usage.reset()
        return {key: float(getattr(snapshot, key)) for key in USAGE_KEYS}

    def close(self) -> None:
        if self._owned is not None and hasattr(self._owned, "close"):
            self._owned.close()

    def __enter__(self) -> Amplifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConfidentAnswerer:
    """An answerer whose answers below `min_confidence` (the product of the answer tokens' probabilities) come
    back as UNKNOWN: H then returns UNKNOWN for the question and the example is not usable. IDA's targets then
    grow from what M_n knows instead of from its guesses at questions beyond its frontier. Answers without
    log-probs pass unchanged."""

    def __init__(self, inner: Answerer, min_confidence: float) -> None:
        self.inner, self.min_logprob = inner, math.log(min_confidence)
        self.version = inner.version  # same model: the executor's memo stays per version
        self.filtered = 0

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

    def answer(self, prompts: list[str]) -> list[Answer]:
        return [a if a.failed else Answer(self.parser(a.text), a.logprobs) for a in self.inner.answer(prompts)]


def build_llm_answerer(cfg: AmplifyConfig, student: Answerer | None = None) -> Answerer:
    a = cfg.answerer
    if a.kind == "vllm":
        from ida.models.vllm import VLLMAnswerer

        return VLLMAnswerer(student, a.vllm)
    if a.kind == "openai":
        from ida.models.openai_api import OpenAIAnswerer

        return OpenAIAnswerer(a.openai)
    from langchain_core.language_models import BaseChatModel

    from ida.models.langchain import LangChainAnswerer

    model = _import(a.langchain_factory or "")(**a.langchain_kwargs)
    if not isinstance(model, BaseChatModel):
        raise ValueError(f"amplify.answerer.langchain_factory: {a.langchain_factory} returned "
                         f"{type(model).__name__}, not a langchain_core BaseChatModel")
    return LangChainAnswerer(model, max_concurrency=a.langchain_max_concurrency,
                             system_prompt=a.langchain_system_prompt)


def llm_text(q: Question) -> str:
    """The question as an LLM reads it: its context (if any) above the question text."""
    return "\n".join(q.context) + "\n\n" + q.text if q.context else q.text


def _ask(q: Question) -> Program:
    [answer] = yield [q]
    return answer


def _recording(program: Program, sink: list[tuple[str, str]], failures: dict[str, list[tuple[str, str]]],
               question_id: str) -> Program:
    """`program`, copying the reasons its plans (root or recursive) were rejected into `failures` as it goes."""
    try:
        return (yield from program)
    finally:
        if sink:
            failures[question_id] = list(sink)


def _import(path: str) -> Any:
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"amplify.answerer.langchain_factory: cannot import {path!r} ({err})") from None


def phase_record(amplifier: Amplifier, examples: list, vocabulary: set[str] | None, run_id: str, cycle: int,
                 phase: str) -> tuple[dict, dict, Any]:
    """What the amplify (or evaluate) phase stores about its amplifier: result fields, metrics, and a writer of
    one event per failed example and per rejected plan (for `Store.finish_phase(also=...)`, so the events land
    in the phase's transaction and a resumed phase does not log them twice)."""
    from ida.store import Store

    usage = amplifier.take_usage()
    failures = {qid: reasons for qid, reasons in amplifier.failures.items()}
    failed = [(e.question.id, e.error) for e in examples if e.answer is None]
    unknown = (0 if vocabulary is None else  # None: a subword tokenizer, where no word is unknown
               sum(tok not in vocabulary for e in examples if e.usable for tok in e.answer.split()))
    result: dict[str, Any] = {"answerer": amplifier.answerer.version, "overseer": amplifier.overseer,
                              **({"unsure_subanswers": amplifier.answerer.filtered}
                                 if isinstance(amplifier.answerer, ConfidentAnswerer) else {}),
                              "decomposer_failures": sum(len(r) for r in failures.values()),
                              "target_unknown_tokens": unknown}
    if failures:
        result["decomposer_failure_reasons"] = {qid: [reason for _, reason in r][:3]
                                                for qid, r in list(failures.items())[:20]}
    if failed:
        result["failure_reasons"] = {qid: error for qid, error in failed[:20]}
    prefix = "" if phase == "amplify" else f"{phase}_"  # metrics are keyed by (cycle, name): keep phases apart
    metrics: dict[str, dict[str, float]] = {
        f"{prefix}decomposer": {"failures": float(result["decomposer_failures"])}}
    if usage is not None:
        result["usage"] = metrics[f"{prefix}usage"] = usage

    def write_events(db: Any) -> None:
        for qid, reasons in failures.items():
            for question, reason in reasons:
                Store._event(db, run_id, "system", "decomposer_failure",
                             {"cycle": cycle, "phase": phase, "question_id": qid, "question": question,
                              "reason": reason})
        for qid, error in failed:
            Store._event(db, run_id, "system", "amplify_failure",
                         {"cycle": cycle, "phase": phase, "question_id": qid, "error": error})

    return result, metrics, write_events
