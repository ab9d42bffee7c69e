"""The registry of decomposers: who plays H in Amp(H, M_n). One `DecomposerProvider` per `amplify.decomposer`
name, chosen once when an `Amplifier` is built; each builds a `Decomposer` that turns a question into a
decomposition program (a generator that yields subquestions and returns the recomposed answer).

- `task`: the task's own H program (the 2018 paper's overseer).
- `llm`: the answerer proposes validated JSON subquestion plans (`decomposition.planning.PlanDecomposer`).
- `direct`: no decomposition; the answerer answers the question itself.
- `human`: overseers decompose sampled questions in the app's workspace page (`ida.review.workspace`; registered
  by the run builder, `ida.build`, since review sits above amplify).

A decomposer that needs to know where the amplify phase runs (the human's, which queues workspaces in the run's
store) has a `prepare(context, answerer_version)` method, called with an `AmplifyContext` when the amplify phase
builds its `Amplifier`.

`amplify.decomposer` may also name an `ida.decomposers` entry point or an import path `module:attr` (see
`ida.plugins`): a `DecomposerProvider`, or a class / callable built with the task that gives an object with
`program(question, depth)` and `overseer(answerer_version)` (`failures` is optional).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from decomposition import Program, recursive_program
from ida.plugins import Registry, require_callable, require_methods
from ida.tasks import Question, Task

if TYPE_CHECKING:
    from ida.config import AmplifyConfig, ReviewConfig, RunConfig
    from ida.models.registry import AnswererProvider
    from ida.progress import RunProgress
    from ida.store import RunRecords, Store


@dataclass(frozen=True)
class AmplifyContext:
    """Where an amplify phase runs: for decomposers that work through the run's store (the human's)."""

    store: Store
    run_id: str
    run_dir: Path
    cycle: int
    review: ReviewConfig
    seed: int
    progress: RunProgress
    app_hint: str
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def records(self) -> RunRecords:
        """The run's rows in `store` (bound to `run_id`)."""
        return self.store.run(self.run_id)


class Decomposer(Protocol):
    """Turns a question into a decomposition program whose subquestions are decomposed again down to `depth`
    (HCH-style, `amplify.depth`; 1: they go straight to the answerer). `failures` maps a question id to the
    (question text, reason) pairs of plans that were rejected. `overseer(version)` names H in provenance."""

    failures: dict[str, list[tuple[str, str]]]

    def program(self, question: Question, depth: int = 1) -> Program: ...

    def overseer(self, answerer_version: str) -> str: ...


def llm_text(q: Question) -> str:
    """The question as an LLM reads it: its context (if any) above the question text."""
    return "\n".join(q.context) + "\n\n" + q.text if q.context else q.text


class TaskDecomposer:
    """H is the task's own program; a subquestion that is itself a `Question` is decomposed again by it."""

    def __init__(self, task: Task) -> None:
        self.task, self.failures = task, {}

    def program(self, question: Question, depth: int = 1) -> Program:
        expand = lambda item: h_program(self.task, item) if isinstance(item, Question) else None  # noqa: E731
        return recursive_program(h_program(self.task, question), expand, depth)

    def overseer(self, answerer_version: str) -> str:
        return "H:program"


def h_program(task: Task, question: Question) -> Program:
    """The task's H program for `question`, guarded: calling `decompose` happens inside the program, and a batch
    that is not a list of `Question`s raises there, so the executor fails only this graph, with the reason."""
    name = task.name
    program = task.decompose(question)
    if not hasattr(program, "send"):  # H answered without decomposing: `decompose` returned, did not yield
        if isinstance(program, str):
            return program
        raise TypeError(f"H of task {name!r} returned a {type(program).__name__}, not a generator or a str")
    answers = None
    while True:
        try:
            batch = program.send(answers)
        except StopIteration as stop:
            return stop.value
        if not isinstance(batch, (list, tuple)):
            raise TypeError(f"H of task {name!r} yielded a {type(batch).__name__}, not a list of Questions")
        odd = [item for item in batch if not isinstance(item, Question)]
        if odd:
            raise TypeError(f"H of task {name!r} yielded a {type(odd[0]).__name__} ({odd[0]!r:.40}), not a Question")
        answers = yield batch


class DirectDecomposer:
    """No decomposition. The student is asked in the task's own prompt format; an LLM gets `llm_text`. With
    `leaves_of` (a task; `amplify.leaves_by_h`), questions its H answers without subquestions get H's answer."""

    def __init__(self, student: bool, leaves_of: Task | None = None) -> None:
        self.student, self.failures, self.leaves_of = student, {}, leaves_of

    def program(self, question: Question, depth: int = 1) -> Program:
        if self.leaves_of is not None:
            return _leaf_or_ask(self.leaves_of, question)
        if self.student:
            return _ask(question)
        from decomposition.planning import direct_program

        return direct_program(llm_text(question))

    def overseer(self, answerer_version: str) -> str:
        return f"H:direct:{answerer_version}"


class LLMDecomposer:
    """The answerer writes the plans; a rejected plan is recorded in `failures` under its question's id."""

    def __init__(self, cfg: AmplifyConfig) -> None:
        from decomposition.planning import PlanDecomposer

        d = cfg.llm_decomposer
        self.inner = PlanDecomposer(None, max_subquestions=d.max_subquestions, max_depth=d.max_depth,
                                   retries=d.retries)
        self.failures: dict[str, list[tuple[str, str]]] = {}

    def program(self, question: Question, depth: int = 1) -> Program:
        sink: list[tuple[str, str]] = []  # this question's rejected plans, its recursive ones included
        self.failures.pop(question.id, None)
        expand = lambda item: (self.inner.program(item.text, failures=sink)  # noqa: E731
                               if getattr(item, "kind", None) == "subquestion" else None)
        program = recursive_program(self.inner.program(llm_text(question), failures=sink), expand, depth)
        return _recording(program, sink, self.failures, question.id)

    def overseer(self, answerer_version: str) -> str:
        return f"H:llm:{answerer_version}"


def _leaf_or_ask(task: Task, q: Question) -> Program:
    """H's own answer when H answers `q` without subquestions (a leaf), else the answerer's direct answer."""
    try:
        next(task.decompose(q))
    except StopIteration as stop:
        return stop.value
    return (yield from _ask(q))


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


def _no_check(config: RunConfig, task: Task) -> None:
    """Nothing to check before the run."""


def _check_task(config: RunConfig, task: Task) -> None:
    if not task.can_decompose:
        raise ValueError(f"amplify.decomposer: task {task.name!r} has no H program of its own; "
                         "set amplify.decomposer to llm (with an LLM answerer) or direct")


def _check_llm(config: RunConfig, task: Task) -> None:
    from ida.models.registry import answerer_provider

    if answerer_provider(config.amplify.answerer.kind).student:
        raise ValueError("amplify.decomposer: llm needs an LLM answerer (amplify.answerer.kind openai or "
                         "langchain); the local student cannot write plans")


@dataclass(frozen=True)
class DecomposerProvider:
    """How one decomposer is built (from the amplify config, the task and the answerer's provider) and checked
    against the run's config and task before any work. `people`: H is a person who saw the student's raw
    answers (the human as H), so the amplifier hands M_n's text on as the person saw it, untouched."""

    build: Callable[[AmplifyConfig, Task, AnswererProvider], Decomposer]
    check: Callable[[RunConfig, Task], None] = _no_check
    people: bool = False


DECOMPOSERS: dict[str, DecomposerProvider] = {}
FIELD = "amplify.decomposer"
DECOMPOSER_METHODS = ("program", "overseer")


def adapt_decomposer(obj: Any, where: str) -> DecomposerProvider:
    """A `DecomposerProvider` as it is; a class or factory (called with the task) wrapped into one."""
    if isinstance(obj, DecomposerProvider):
        return obj
    if inspect.isclass(obj):
        require_methods(obj, DECOMPOSER_METHODS, FIELD, "decomposer class")
    require_callable(obj, where, "the decomposer")
    # checked before the run by building one for the run's task (a factory's result is known only then)
    return DecomposerProvider(build=lambda cfg, task, answerer: _checked(obj(task)),
                              check=lambda config, task: _checked(obj(task)) and None)


def _checked(decomposer: Any) -> Decomposer:
    require_methods(decomposer, DECOMPOSER_METHODS, FIELD, "decomposer")
    if not isinstance(getattr(decomposer, "failures", None), dict):
        decomposer.failures = {}
    return decomposer


DECOMPOSER_REGISTRY: Registry[DecomposerProvider] = Registry("decomposer", FIELD, "ida.decomposers",
                                                             entries=DECOMPOSERS, adapt=adapt_decomposer)


def register_decomposer(name: str, provider: DecomposerProvider | Any) -> None:
    """Make `provider` (a `DecomposerProvider`, or a decomposer class / factory) known as `amplify.decomposer`."""
    DECOMPOSER_REGISTRY.register(name, adapt_decomposer(provider, f"decomposer {name!r}"))


def decomposer_provider(name: str) -> DecomposerProvider:
    """The provider of `name`: registered, an `ida.decomposers` entry point, or `module:attr` (PluginError else)."""
    return DECOMPOSER_REGISTRY.get(name)


register_decomposer("task", DecomposerProvider(build=lambda cfg, task, answerer: TaskDecomposer(task),
                                               check=_check_task))
register_decomposer("direct", DecomposerProvider(build=lambda cfg, task, answerer: DirectDecomposer(
    answerer.student, task if cfg.leaves_by_h else None)))
register_decomposer("llm", DecomposerProvider(build=lambda cfg, task, answerer: LLMDecomposer(cfg),
                                              check=_check_llm))
