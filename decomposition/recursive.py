"""HCH-style recursive amplification as a program wrapper: the subquestions a program yields are decomposed
again by programs of their own, down to a depth, all inside the one graph of the root question.

    program = recursive_program(decomposer.program(q), expand, depth=2)
    # expand(item) -> a program for that subquestion, or None to ask the answerer directly

At depth 1 the program is returned unchanged. Deeper, each yielded item that `expand` accepts is replaced by
its own program's items (recursively, with depth - 1); the sub-programs of one batch run side by side, so their
subquestions share the executor's waves, and the answer of a decomposed subquestion is what its program
returns. Programs number their nodes in their own yield order (see `decomposers._NodeIds`); the wrapper
translates each item's `depends_on` to the node ids of the shared graph, where a decomposed subquestion is
stood for by the last node its sub-program yielded (its recomposition). Works for any program: the LLM
decomposer's (`Subquestion` items) or a task's H (items with `.text` and `.prompt`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from decomposition.executor import Program

Expand = Callable[[Any], "Program | None"]
# internal levels yield batches of _Leaf and return (answer, node id standing for the answer or None)
_Level = Generator[list["_Leaf"], list[str], tuple[Any, "int | None"]]


@dataclass
class _Leaf:
    """An item the answerer will see; `node` is its graph node id once the top level has yielded it."""

    item: Any
    node: int | None = None


@dataclass(frozen=True)
class _Item:
    """A translated copy of a non-dataclass item with explicit dependencies."""

    text: str
    prompt: str
    depends_on: tuple[int, ...]


def recursive_program(program: Program, expand: Expand, depth: int) -> Program:
    """`program` with its subquestions decomposed again by `expand` down to `depth` (1: unchanged)."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if depth == 1:
        return program
    return _top(_level(program, expand, depth))


def _top(level: _Level) -> Program:
    """Gives each yielded leaf the node id the executor will give it (yield order, the root being 0)."""
    node_ids = itertools.count(1)
    answers: list[str] | None = None
    while True:
        try:
            leaves = next(level) if answers is None else level.send(answers)
        except StopIteration as stop:
            return stop.value[0]
        for leaf in leaves:
            leaf.node = next(node_ids)
        answers = yield [leaf.item for leaf in leaves]


def _level(program: Program, expand: Expand, depth: int) -> _Level:
    """Runs `program`, expanding its items while depth allows; returns (its answer, the node of its last item)."""
    local: dict[int, int | None] = {}  # the program's own node ids -> graph node ids
    count, last = 0, None
    answers: list[str] | None = None
    while True:
        try:
            items = next(program) if answers is None else program.send(answers)
        except StopIteration as stop:
            return stop.value, last
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"program yielded {type(items).__name__}, expected a list of subquestions")
        children = []
        for item in items:
            sub = expand(item) if depth > 1 else None
            children.append(_leaf(_translate(item, local)) if sub is None else _level(sub, expand, depth - 1))
        results = yield from _parallel(children)
        for offset, (_, node) in enumerate(results, start=count + 1):
            local[offset] = node
        count += len(results)
        last = next((node for _, node in reversed(results) if node is not None), last)
        answers = [answer for answer, _ in results]


def _leaf(item: Any) -> _Level:
    leaf = _Leaf(item)
    [answer] = yield [leaf]
    return answer, leaf.node


def _parallel(children: list[_Level]) -> Generator[list[_Leaf], list[str], list[tuple[Any, int | None]]]:
    """Runs levels side by side: each wave yields the concatenation of every running child's batch."""
    results: list[Any] = [None] * len(children)
    pending: dict[int, list[_Leaf]] = {}

    def advance(i: int, answers: list[str] | None) -> None:
        while True:
            try:
                batch = next(children[i]) if answers is None else children[i].send(answers)
            except StopIteration as stop:
                results[i] = stop.value
                return
            if batch:
                pending[i] = batch
                return
            answers = []  # an empty batch is answered at once, as the executor does

    for i in range(len(children)):
        advance(i, None)
    while pending:
        batches = [(i, pending.pop(i)) for i in sorted(pending)]
        answers = yield [leaf for _, batch in batches for leaf in batch]
        start = 0
        for i, batch in batches:
            advance(i, list(answers[start:start + len(batch)]))
            start += len(batch)
    return results


def _translate(item: Any, local: dict[int, int | None]) -> Any:
    """`item` with its `depends_on` (the program's own node ids) mapped to graph node ids."""
    deps = None if isinstance(item, str) else getattr(item, "depends_on", None)
    if deps is None:
        return item
    unknown = [d for d in deps if d not in local]
    if unknown:
        raise ValueError(f"subquestion {getattr(item, 'text', item)!r} depends on unknown nodes {unknown}")
    mapped = tuple(dict.fromkeys(local[d] for d in deps if local[d] is not None))
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.replace(item, depends_on=mapped)
    return _Item(item.text, item.prompt, mapped)
