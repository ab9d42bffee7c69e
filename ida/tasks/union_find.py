"""Union find: a random forest over elements 0..N-1 (fact `x > p`: the parent of x is p) with a value per root
(fact `r = 3`). Questions `value X` (the value of X's root) and `depth X` (X's distance to its root);
difficulty = the depth of X.

H: for a root, the value is its own lookup and the depth is 0; else it asks the same question of the parent P(X)
(a fact H knows) and returns the value as it is, the depth plus one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ida.tasks.base import UNKNOWN, Form, HProgram, ask, parse_int
from ida.tasks.world_task import Sub, WorldTask, check_int, numbers, per_form, token_int

KINDS = ("value", "depth")


@dataclass(frozen=True)
class Forest:
    parent: dict[int, int]  # non-root -> parent
    root_value: dict[int, int]  # root -> value
    order: tuple[int, ...]  # the order the facts are written in
    depth: dict[int, int]
    value: dict[int, int]


class UnionFindTask(WorldTask[Forest, tuple[str, int]]):
    """Elements are spread evenly over the depths 0..max_depth, each non-root's parent drawn from the depth
    above. `n_elements` defaults to 48 in the in-weights form (96 questions) and 16 in the in-context form
    (contexts of 63 tokens)."""

    name = "union_find"
    # For reviewers: what the evidence's symbols mean (one line), and how to judge an answer.
    legend = (
        "x > p: p is x's parent; r = v: the root r holds the value v; depth = the number of > steps"
        ' up to the root')
    review_guidelines = (
        "value: the root's value (last step); parent: the first step's right side; depth: how many "
        '> steps. Edit to that if the answer differs.')

    def __init__(self, *, form: Form = "weights", seed: int = 0, n_elements: int | None = None, max_depth: int = 6,
                 n_values: int = 8, eval_per_difficulty: int = 16, n_train: int = 2000) -> None:
        super().__init__(form=form, seed=seed, eval_per_difficulty=eval_per_difficulty, n_train=n_train)
        owner = type(self).__name__
        self.max_depth = check_int(owner, "max_depth", max_depth, 1, 100)
        self.n_elements = check_int(owner, "n_elements", per_form(self.form, n_elements, 48, 16),
                                    self.max_depth + 1, 10_000)
        self.n_values = check_int(owner, "n_values", n_values, 2, 1000)
        self._build()

    def _forest(self, parent: dict[int, int], root_value: dict[int, int], order: tuple[int, ...]) -> Forest:
        depth: dict[int, int] = {}
        value: dict[int, int] = {}
        for x in order:
            path = [x]
            while path[-1] in parent and path[-1] not in depth:
                if len(path) > self.max_depth + 1:
                    raise ValueError(f"{self.name}: element {x} is deeper than max_depth={self.max_depth}")
                path.append(parent[path[-1]])
            top = path[-1]
            if top not in depth:
                if top not in root_value:
                    raise ValueError(f"{self.name}: element {top} has neither a parent nor a value")
                depth[top], value[top] = 0, root_value[top]
            for i, y in enumerate(reversed(path[:-1]), 1):
                depth[y], value[y] = depth[top] + i, value[top]
        if max(depth.values()) > self.max_depth:
            raise ValueError(f"{self.name}: an element is deeper than max_depth={self.max_depth}")
        return Forest(parent, root_value, order, depth, value)

    def _make_world(self, rng: random.Random) -> Forest:
        names = list(range(self.n_elements))
        rng.shuffle(names)
        n_levels = self.max_depth + 1
        sizes = [self.n_elements // n_levels + (d < self.n_elements % n_levels) for d in range(n_levels)]
        levels, start = [], 0
        for size in sizes:
            levels.append(names[start:start + size])
            start += size
        parent = {x: rng.choice(levels[d - 1]) for d in range(1, n_levels) for x in levels[d]}
        root_value = {r: rng.randrange(self.n_values) for r in levels[0]}
        order = list(range(self.n_elements))
        rng.shuffle(order)
        return self._forest(parent, root_value, tuple(order))

    def _facts(self, world: Forest) -> tuple[str, ...]:
        return tuple(f"{x} > {world.parent[x]}" if x in world.parent else f"{x} = {world.root_value[x]}"
                     for x in world.order)

    def _parse_facts(self, facts: tuple[str, ...]) -> Forest:
        parent: dict[int, int] = {}
        root_value: dict[int, int] = {}
        order: list[int] = []
        last = self.n_elements - 1
        for fact in facts:
            parts = fact.split()
            x = token_int(parts[0], 0, last) if len(parts) == 3 else None
            if x is None or x in parent or x in root_value:
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            if parts[1] == ">" and (p := token_int(parts[2], 0, last)) is not None and p != x:
                parent[x] = p
            elif parts[1] == "=" and (v := token_int(parts[2], 0, self.n_values - 1)) is not None:
                root_value[x] = v
            else:
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            order.append(x)
        if not order:
            raise ValueError(f"{self.name}: no facts")
        return self._forest(parent, root_value, tuple(order))

    def _space(self, world: Forest) -> list[tuple[str, int]]:
        return [(f"{kind} {x}", world.depth[x]) for kind in KINDS for x in sorted(world.depth)]

    def _parse_text(self, world: Forest, text: str) -> tuple[str, int]:
        parts = text.split()
        x = token_int(parts[1], 0, self.n_elements - 1) if len(parts) == 2 and parts[0] in KINDS else None
        if x is None or x not in world.depth:
            raise ValueError(f"{self.name}: not a question: {text!r}")
        return parts[0], x

    def _difficulty(self, world: Forest, parsed: tuple[str, int]) -> int:
        return world.depth[parsed[1]]

    def _answer(self, world: Forest, parsed: tuple[str, int]) -> str:
        kind, x = parsed
        return str(world.value[x] if kind == "value" else world.depth[x])

    def _program(self, world: Forest, parsed: tuple[str, int], sub: Sub) -> HProgram:
        kind, x = parsed
        if x not in world.parent:
            return str(world.root_value[x]) if kind == "value" else "0"
        answers = yield from ask([sub(f"{kind} {world.parent[x]}")])
        if kind == "value":
            value = parse_int(answers[0], 0, self.n_values - 1) if answers else None
            return UNKNOWN if value is None else str(value)
        depth = parse_int(answers[0], 0, self.max_depth - 1) if answers else None
        return UNKNOWN if depth is None else str(depth + 1)

    def _evidence(self, world: Forest, parsed: tuple[str, int]) -> list[str]:
        """The parent facts from X up to its root, then the root's value."""
        x = parsed[1]
        facts = []
        while x in world.parent:
            facts.append(f"{x} > {world.parent[x]}")
            x = world.parent[x]
        return facts + [f"{x} = {world.root_value[x]}"]

    def _tokens(self) -> list[str]:
        return [*KINDS, ">", *numbers(0, max(self.n_elements - 1, self.n_values - 1, self.max_depth))]

    def _context_difficulties(self) -> list[int]:
        return list(range(self.max_depth + 1))
