"""Sequential assignments: variables v0.. in levels; a level-0 variable has a value (fact `vI = 3`), a level-d
variable is `x := f(y, z)` (fact `vI = vJ vK`) with y from level d-1, z from any level below d, and f a fixed
table over the values 0..n_values-1 (fixed by the task seed, known to H, never written in a context).
The question `val vI` asks the value of vI; difficulty = its level.

H: a base variable's value is its own lookup; else it asks `val y` and `val z` (in parallel) and returns its own
table entry f(a, b).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ida.tasks.base import UNKNOWN, Form, HProgram, ask, parse_int
from ida.tasks.world_task import Sub, WorldTask, check_int, numbers, per_form, token_int


@dataclass(frozen=True)
class Assignments:
    """One world of the task: base values, the assignments x := f(y, z), and each variable's level and value."""

    base: dict[int, int]  # variable -> value
    defs: dict[int, tuple[int, int]]  # variable -> (y, z)
    order: tuple[int, ...]  # the order the facts are written in (level by level)
    level: dict[int, int]
    value: dict[int, int]


class AssignmentsTask(WorldTask[Assignments, int]):
    """`vars_per_level` defaults to 8 in the in-weights form (56 questions) and 2 in the in-context form (14
    assignments, contexts of 67 tokens)."""

    name = "assignments"
    # For reviewers: what the evidence's symbols mean (one line), and how to judge an answer.
    legend = ('vI = vJ vK: vI := f(vJ, vK); vI = n: a base value; f a b = c: the table gives f(a, b) = c')
    review_guidelines = (
        "Work from the base values up through the table lines; the asked variable's value is the "
        'answer. Edit to it if it differs.')

    def __init__(self, *, form: Form = "weights", seed: int = 0, n_values: int = 8, vars_per_level: int | None = None,
                 max_depth: int = 6, eval_per_difficulty: int = 16, n_train: int = 2000) -> None:
        super().__init__(form=form, seed=seed, eval_per_difficulty=eval_per_difficulty, n_train=n_train)
        owner = type(self).__name__
        self.n_values = check_int(owner, "n_values", n_values, 2, 1000)
        self.vars_per_level = check_int(owner, "vars_per_level", per_form(self.form, vars_per_level, 8, 2), 1, 1000)
        self.max_depth = check_int(owner, "max_depth", max_depth, 1, 100)
        self.n_vars = self.vars_per_level * (self.max_depth + 1)
        table_rng = self._rng("table")
        self.table = tuple(tuple(table_rng.randrange(self.n_values) for _ in range(self.n_values))
                           for _ in range(self.n_values))
        self._build()

    def _assignments_of(self, base: dict[int, int], defs: dict[int, tuple[int, int]],
                        order: tuple[int, ...]) -> Assignments:
        level: dict[int, int] = {}
        value: dict[int, int] = {}

        def resolve(v: int, visiting: frozenset[int]) -> None:
            if v in level:
                return
            if v in base:
                level[v], value[v] = 0, base[v]
                return
            if v not in defs or v in visiting:
                raise ValueError(f"{self.name}: v{v} is undefined or defined in a cycle")
            y, z = defs[v]
            resolve(y, visiting | {v})
            resolve(z, visiting | {v})
            level[v], value[v] = 1 + max(level[y], level[z]), self.table[value[y]][value[z]]

        for v in order:
            resolve(v, frozenset())
        if max(level.values()) > self.max_depth:
            raise ValueError(f"{self.name}: a variable is deeper than max_depth={self.max_depth}")
        return Assignments(base, defs, order, level, value)

    def _make_world(self, rng: random.Random) -> Assignments:
        names = list(range(self.n_vars))
        rng.shuffle(names)
        levels = [names[d * self.vars_per_level:(d + 1) * self.vars_per_level] for d in range(self.max_depth + 1)]
        base = {v: rng.randrange(self.n_values) for v in levels[0]}
        defs: dict[int, tuple[int, int]] = {}
        for d in range(1, self.max_depth + 1):
            below = [v for level in levels[:d] for v in level]
            for v in levels[d]:
                defs[v] = (rng.choice(levels[d - 1]), rng.choice(below))
        return self._assignments_of(base, defs, tuple(names))

    def _facts(self, world: Assignments) -> tuple[str, ...]:
        return tuple(f"v{v} = {world.base[v]}" if v in world.base else f"v{v} = v{world.defs[v][0]} v{world.defs[v][1]}"
                     for v in world.order)

    def _var(self, token: str) -> int | None:
        """`vI` as I, or None (not a variable of this task, or not written canonically)."""
        return token_int(token[1:], 0, self.n_vars - 1) if token.startswith("v") else None

    def _parse_facts(self, facts: tuple[str, ...]) -> Assignments:
        base: dict[int, int] = {}
        defs: dict[int, tuple[int, int]] = {}
        order: list[int] = []
        for fact in facts:
            parts = fact.split()
            v = self._var(parts[0]) if len(parts) in (3, 4) and parts[1] == "=" else None
            if v is None or v in base or v in defs:
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            if len(parts) == 3 and (value := token_int(parts[2], 0, self.n_values - 1)) is not None:
                base[v] = value
            elif len(parts) == 4 and (y := self._var(parts[2])) is not None and (z := self._var(parts[3])) is not None:
                defs[v] = (y, z)
            else:
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            order.append(v)
        if not order:
            raise ValueError(f"{self.name}: no facts")
        return self._assignments_of(base, defs, tuple(order))

    def _space(self, world: Assignments) -> list[tuple[str, int]]:
        return [(f"val v{v}", world.level[v]) for v in sorted(world.level)]

    def _parse_text(self, world: Assignments, text: str) -> int:
        parts = text.split()
        v = self._var(parts[1]) if len(parts) == 2 and parts[0] == "val" else None
        if v is None or v not in world.level:
            raise ValueError(f"{self.name}: not a question: {text!r}")
        return v

    def _difficulty(self, world: Assignments, parsed: int) -> int:
        return world.level[parsed]

    def _answer(self, world: Assignments, parsed: int) -> str:
        return str(world.value[parsed])

    def _program(self, world: Assignments, parsed: int, sub: Sub) -> HProgram:
        if parsed in world.base:
            return str(world.base[parsed])
        y, z = world.defs[parsed]
        answers = yield from ask([sub(f"val v{y}"), sub(f"val v{z}")])
        a, b = (parse_int(s, 0, self.n_values - 1) for s in answers) if answers else (None, None)
        if a is None or b is None:
            return UNKNOWN
        return str(self.table[a][b])

    def _evidence(self, world: Assignments, parsed: int) -> list[str]:
        """The assignments vI depends on (its own first, then breadth first) and the table entries H uses,
        written `f a b = c` (the table is H's fixed knowledge, never in a context)."""
        facts, table, seen, queue = [], [], {parsed}, [parsed]
        while queue:
            v = queue.pop(0)
            if v in world.base:
                facts.append(f"v{v} = {world.base[v]}")
                continue
            y, z = world.defs[v]
            facts.append(f"v{v} = v{y} v{z}")
            a, b = world.value[y], world.value[z]
            table.append(f"f {a} {b} = {self.table[a][b]}")
            queue += [u for u in (y, z) if u not in seen]
            seen.update((y, z))
        return facts + table

    def _tokens(self) -> list[str]:
        return ["val", *(f"v{i}" for i in range(self.n_vars)), *numbers(0, self.n_values - 1)]

    def _context_difficulties(self) -> list[int]:
        return list(range(self.max_depth + 1))
