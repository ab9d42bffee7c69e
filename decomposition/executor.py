"""`Executor`: runs many overseer programs at once, in waves of batched answerer calls.

A program (H) is a generator: it yields a list of subquestions, receives their answers (strings, same order) and
finally returns the recomposed answer; returning without yielding means H answered directly. A yielded item is
a str (text and prompt at once) or any object with str `.text` and `.prompt` (e.g. ida's `Question`); it may
carry `depends_on` (node ids of its graph), else it depends on every subquestion answered so far.

Why waves: a model answers a batch of prompts in about the time of one, so each wave gathers the ready nodes of
*every* live graph into one `Answerer.answer` call. Why the memo: the tasks' subquestions repeat across
questions (sigma(3), the value of x, ...), so each (model version, prompt) is asked once. `run_sequential` is the
naive baseline (one prompt per call, graph after graph) that benchmarks compare against.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from decomposition.answerer import Answer, Answerer
from decomposition.graph import RESOLVED, ROOT, GraphError, SubquestionGraph

log = logging.getLogger(__name__)


class SubquestionLike(Protocol):
    """Anything with the text a person reads and the prompt a model sees (a str stands for both)."""

    text: str
    prompt: str


Program = Generator[list[Any], list[str], str]  # yields list[str | SubquestionLike]


@dataclass(frozen=True)
class Budget:
    """Per-graph limits, so one runaway program cannot stall a whole batch."""

    max_nodes: int = 256  # nodes in one graph, the root included
    max_depth: int = 64  # waves one graph may take (an empty yielded batch counts as one)

    def __post_init__(self) -> None:
        if self.max_nodes < 1 or self.max_depth < 1:
            raise ValueError(f"budget limits must be at least 1, got {self}")


@dataclass
class Execution:
    """The outcome of one program: its filled-in graph and the root's answer, or why it failed."""

    graph: SubquestionGraph
    answer: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class WaveStats:
    """What one wave did (passed to `on_wave`, e.g. for a progress bar)."""

    wave: int  # 0-based index within this run
    live_graphs: int  # graphs still running when the wave started
    subquestions: int  # nodes answered (or failed) in this wave = prompts_asked + memo_hits
    prompts_asked: int  # unique prompts in this wave's answerer call (0: no call)
    memo_hits: int  # nodes served from the memo or from an identical prompt in the same wave


@dataclass
class ExecutorStats:
    """Cumulative counters over every `run` of one executor."""

    subquestions: int = 0
    unique_prompts_asked: int = 0
    memo_hits: int = 0
    waves: int = 0
    answerer_calls: int = 0


class Executor:
    """Runs programs in waves against one answerer; the memo (version, prompt) -> Answer lives across runs.

    With `memo=False` nothing is reused, not even within a wave: every node gets its own answer (what a
    sampling answerer needs for independent samples)."""

    def __init__(self, answerer: Answerer, budget: Budget = Budget(), memo: bool = True) -> None:
        self.answerer, self.budget, self.memo = answerer, budget, memo
        self.stats = ExecutorStats()
        self._memo: dict[tuple[str, str], Answer] = {}

    def run(self, roots: Sequence[str | SubquestionLike], programs: Sequence[Program],
            on_wave: Callable[[WaveStats], None] | None = None) -> list[Execution]:
        """Run `programs[i]` for `roots[i]`, all at once; one `Execution` per program, in order."""
        runs = [_GraphRun(root, program, self.budget) for root, program in _pairs(roots, programs)]
        for run in runs:
            run.start()
        wave = 0
        while live := [run for run in runs if not run.done]:
            stats = self._wave(wave, live)
            log.debug("%s", stats)
            if on_wave is not None:
                on_wave(stats)
            wave += 1
        return [run.execution() for run in runs]

    def clear_memo(self) -> None:
        """Forget memoized answers (e.g. when a version name is reused for different weights)."""
        self._memo.clear()

    def _wave(self, index: int, live: list[_GraphRun]) -> WaveStats:
        """Ask every ready node of every live graph in one call, record the answers, resume the programs."""
        requests = [(run, node) for run in live for node in run.ready()]
        version = self.answerer.version
        resolved, groups = self._plan(requests, version)
        hits = len(resolved)
        if groups:
            answers = _ask(self.answerer, [prompt for prompt, _ in groups])
            self.stats.answerer_calls += 1
            for (prompt, indices), answer in zip(groups, answers):
                if self.memo and answer.error is None:
                    self._memo[(version, prompt)] = answer
                for j, i in enumerate(indices):
                    resolved[i] = (answer, version if j == 0 else f"memo:{version}")
                hits += len(indices) - 1
        for i, (run, node) in enumerate(requests):
            run.record(node, *resolved[i])
        for run in live:
            run.after_wave()
        stats = WaveStats(index, len(live), len(requests), len(groups), hits)
        self._count(stats)
        return stats

    def _plan(self, requests: list[tuple[_GraphRun, int]], version: str
              ) -> tuple[dict[int, tuple[Answer, str]], list[tuple[str, list[int]]]]:
        """Split requests into memo hits (resolved now) and groups of identical prompts (asked once each)."""
        resolved: dict[int, tuple[Answer, str]] = {}
        groups: list[tuple[str, list[int]]] = []
        group_of: dict[str, int] = {}
        for i, (run, node) in enumerate(requests):
            prompt = run.graph.node(node)["prompt"]
            if not self.memo:
                groups.append((prompt, [i]))
            elif (version, prompt) in self._memo:
                resolved[i] = (self._memo[(version, prompt)], f"memo:{version}")
            elif prompt in group_of:
                groups[group_of[prompt]][1].append(i)
            else:
                group_of[prompt] = len(groups)
                groups.append((prompt, [i]))
        return resolved, groups

    def _count(self, wave: WaveStats) -> None:
        self.stats.waves += 1
        self.stats.subquestions += wave.subquestions
        self.stats.unique_prompts_asked += wave.prompts_asked
        self.stats.memo_hits += wave.memo_hits


def run_sequential(answerer: Answerer, roots: Sequence[str | SubquestionLike], programs: Sequence[Program],
                   budget: Budget = Budget()) -> list[Execution]:
    """The naive baseline: graph after graph, one prompt per answerer call, no memo. Gives the same executions
    as `Executor.run` for a deterministic answerer (only `answered_by` differs where the executor reused)."""
    executions = []
    for root, program in _pairs(roots, programs):
        run = _GraphRun(root, program, budget)
        run.start()
        while not run.done:
            for node in run.ready():
                [answer] = _ask(answerer, [run.graph.node(node)["prompt"]])
                run.record(node, answer, answerer.version)
            run.after_wave()
        executions.append(run.execution())
    return executions


class _GraphRun:
    """One program driving one graph: its yields become pending nodes, its return value the root's answer.

    Every failure (bad yield, budget, failed subquestion, exception in the program) ends only this run."""

    def __init__(self, root: str | SubquestionLike, program: Program, budget: Budget) -> None:
        text, prompt, _ = _unpack(root)
        self.graph = SubquestionGraph(text, prompt, max_nodes=budget.max_nodes)
        self.program, self.budget = program, budget
        self.batch: list[int] = []  # the nodes of the batch the program is waiting on
        self.waves = 0
        self.done = False
        self.error: str | None = None

    def start(self) -> None:
        self._drive(None)

    def ready(self) -> list[int]:
        """This run's nodes for the next wave (counting the wave against `max_depth`)."""
        if self.done:
            return []
        if self.waves >= self.budget.max_depth:
            self._fail(f"budget exceeded: more than max_depth={self.budget.max_depth} waves")
            return []
        batch = set(self.batch)
        nodes = [n for n in self.graph.ready_nodes() if n in batch]
        if not nodes:  # cannot happen with valid dependencies; guards against an endless loop
            self._fail("no subquestion is ready to answer")
        self.waves += 1
        return nodes

    def record(self, node: int, answer: Answer, answered_by: str) -> None:
        if answer.error is not None:
            self.graph.set_failed(node, answer.error)
        else:
            self.graph.set_answer(node, answer.text, answered_by, logprobs=answer.logprobs)

    def after_wave(self) -> None:
        """Fail the run if a node of its batch failed; resume the program once the whole batch is answered."""
        if self.done:
            return
        attrs = [self.graph.node(n) for n in self.batch]
        for node, a in zip(self.batch, attrs):
            if a["status"] == "failed":
                self._fail(f"subquestion {node} failed: {a['error']}")
                return
        if all(a["status"] in RESOLVED for a in attrs):
            self._drive([a["answer"] for a in attrs])

    def execution(self) -> Execution:
        answer = None if self.error else self.graph.node(ROOT)["answer"]
        return Execution(self.graph, answer, self.error)

    def _drive(self, answers: list[str] | None) -> None:
        """Advance the program to its next non-empty batch or its end (None starts it)."""
        while True:
            try:
                items = next(self.program) if answers is None else self.program.send(answers)
            except StopIteration as stop:
                self._finish(stop.value)
                return
            except Exception as exc:  # a bug in one H must not sink the other graphs
                self._fail(f"program raised {type(exc).__name__}: {exc}")
                return
            if not self._add_batch(items) or self.batch:
                return
            answers = []  # an empty batch is answered at once

    def _add_batch(self, items: Any) -> bool:
        """Turn a yielded batch into pending nodes; False (run failed) if malformed or over budget."""
        if not isinstance(items, (list, tuple)):
            return self._fail(f"program yielded {type(items).__name__}, expected a list of subquestions")
        if self.waves >= self.budget.max_depth:
            return self._fail(f"budget exceeded: more than max_depth={self.budget.max_depth} waves")
        if len(self.graph) + len(items) > self.budget.max_nodes:
            return self._fail(f"budget exceeded: {len(self.graph) + len(items)} nodes, more than "
                              f"max_nodes={self.budget.max_nodes}")
        answered = [n for n in self.graph.nx if n != ROOT and self.graph.node(n)["status"] in RESOLVED]
        try:
            self.batch = [self._add(item, answered) for item in items]
        except (GraphError, TypeError) as exc:
            return self._fail(f"invalid subquestion: {exc}")
        if not items:
            self.waves += 1
        return True

    def _add(self, item: Any, answered: list[int]) -> int:
        text, prompt, depends_on = _unpack(item)
        return self.graph.add_node(text, prompt, answered if depends_on is None else depends_on)

    def _finish(self, value: Any) -> None:
        if not isinstance(value, str):
            self._fail(f"program returned {type(value).__name__}, expected a str answer")
            return
        status = "direct" if len(self.graph) == 1 else "answered"
        self.graph.set_answer(ROOT, value, "H", status=status)
        self.done = True

    def _fail(self, reason: str) -> bool:
        """Fail the root (answered nodes stay as they are) and close the program."""
        self.graph.set_failed(ROOT, reason)
        self.error, self.done = reason, True
        try:
            self.program.close()
        except Exception:  # a program that ignores GeneratorExit
            log.warning("closing a failed program raised", exc_info=True)
        return False


def _unpack(item: Any) -> tuple[str, str, tuple[int, ...] | None]:
    """(text, prompt, explicit dependencies or None) of a yielded item or a root."""
    if isinstance(item, str):
        return item, item, None
    text, prompt = getattr(item, "text", None), getattr(item, "prompt", None)
    if not isinstance(text, str) or not isinstance(prompt, str):
        raise TypeError(f"a subquestion must be a str or have str .text and .prompt, got {type(item).__name__}")
    depends_on: Iterable[int] | None = getattr(item, "depends_on", None)
    return text, prompt, None if depends_on is None else tuple(depends_on)


def _pairs(roots: Sequence[Any], programs: Sequence[Program]) -> list[tuple[Any, Program]]:
    """Check the inputs before any program starts (a bad root is a caller bug, not a graph failure)."""
    if len(roots) != len(programs):
        raise ValueError(f"{len(roots)} roots but {len(programs)} programs")
    for root in roots:
        _unpack(root)
    return list(zip(roots, programs))


def _ask(answerer: Answerer, prompts: list[str]) -> list[Answer]:
    """One answerer call; an exception or a wrong count becomes a failed answer per prompt, so it fails only
    the graphs that asked in this wave."""
    try:
        answers = list(answerer.answer(prompts))
    except Exception as exc:
        log.warning("answerer %s raised on %d prompts", answerer.version, len(prompts), exc_info=True)
        return [Answer("", error=f"answerer raised {type(exc).__name__}: {exc}")] * len(prompts)
    if len(answers) != len(prompts):
        error = f"answerer returned {len(answers)} answers for {len(prompts)} prompts"
        return [Answer("", error=error)] * len(prompts)
    return answers
