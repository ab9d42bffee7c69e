"""Wildcard search: every string of length L over {a, b} is worth +1 or -1 (fact `a b a = -1`). The question
`sum p1 .. pL` (each p in a, b, *; a `*` matches one letter) asks the sum of the values of the matching strings;
difficulty = the number of `*`.

H: a pattern with no `*` is its own lookup; else it replaces the first `*` by a and by b, asks both (in parallel)
and returns the sum of the two answers.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from ida.tasks.base import UNKNOWN, Form, HProgram, ask, parse_int
from ida.tasks.world_task import Sub, WorldTask, check_int, numbers, per_form

LETTERS = ("a", "b")


@dataclass(frozen=True)
class Strings:
    value: dict[tuple[str, ...], int]  # string -> +1 / -1
    order: tuple[tuple[str, ...], ...]  # the order the facts are written in


class WildcardTask(WorldTask[Strings, tuple[str, ...]]):
    """`length` defaults to 6 in the in-weights form (729 questions) and 3 in the in-context form (8 facts,
    contexts of 47 tokens)."""

    name = "wildcard"
    # For reviewers: what the evidence's symbols mean (one line), and how to judge an answer.
    legend = (
        'a b a = 3: the string a b a is worth 3; every string the pattern matches (* is any letter)'
        ' is listed once')
    review_guidelines = ('The answer is the sum of the listed values. Add them; Edit to the sum if the answer differs.')

    def __init__(self, *, form: Form = "weights", seed: int = 0, length: int | None = None,
                 eval_per_difficulty: int = 16, n_train: int = 2000) -> None:
        super().__init__(form=form, seed=seed, eval_per_difficulty=eval_per_difficulty, n_train=n_train)
        self.length = check_int(type(self).__name__, "length", per_form(self.form, length, 6, 3), 1, 8)
        self._build()

    def _make_world(self, rng: random.Random) -> Strings:
        strings = list(itertools.product(LETTERS, repeat=self.length))
        value = {s: rng.choice((1, -1)) for s in strings}
        rng.shuffle(strings)
        return Strings(value, tuple(strings))

    def _facts(self, world: Strings) -> tuple[str, ...]:
        return tuple(f"{' '.join(s)} = {world.value[s]}" for s in world.order)

    def _parse_facts(self, facts: tuple[str, ...]) -> Strings:
        value: dict[tuple[str, ...], int] = {}
        order: list[tuple[str, ...]] = []
        for fact in facts:
            parts = fact.split()
            s = tuple(parts[:self.length])
            if (len(parts) != self.length + 2 or parts[-2] != "=" or parts[-1] not in ("1", "-1")
                    or not set(s) <= set(LETTERS) or s in value):
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            value[s] = int(parts[-1])
            order.append(s)
        if len(value) != 2 ** self.length:
            raise ValueError(f"{self.name}: the facts must give the value of all {2 ** self.length} strings")
        return Strings(value, tuple(order))

    def _space(self, world: Strings) -> list[tuple[str, int]]:
        return [("sum " + " ".join(p), p.count("*")) for p in itertools.product(("a", "b", "*"), repeat=self.length)]

    def _parse_text(self, world: Strings, text: str) -> tuple[str, ...]:
        parts = text.split()
        if len(parts) != self.length + 1 or parts[0] != "sum" or not set(parts[1:]) <= {"a", "b", "*"}:
            raise ValueError(f"{self.name}: not a question: {text!r}")
        return tuple(parts[1:])

    def _difficulty(self, world: Strings, parsed: tuple[str, ...]) -> int:
        return parsed.count("*")

    def _answer(self, world: Strings, parsed: tuple[str, ...]) -> str:
        return str(sum(v for s, v in world.value.items() if all(p in ("*", c) for p, c in zip(parsed, s))))

    def _program(self, world: Strings, parsed: tuple[str, ...], sub: Sub) -> HProgram:
        if "*" not in parsed:
            return str(world.value[parsed])
        i = parsed.index("*")
        halves = [" ".join(("sum", *parsed[:i], letter, *parsed[i + 1:])) for letter in LETTERS]
        answers = yield from ask([sub(text) for text in halves])
        bound = 2 ** (parsed.count("*") - 1)  # |sum| over 2^(stars-1) strings of ±1
        sums = [parse_int(s, -bound, bound) for s in answers] if answers else [None]
        if None in sums:
            return UNKNOWN
        return str(sum(sums))  # type: ignore[arg-type]

    def _evidence(self, world: Strings, parsed: tuple[str, ...]) -> list[str]:
        """The values of the strings the pattern matches (2^stars facts)."""
        return [f"{' '.join(s)} = {world.value[s]}" for s in world.order
                if all(p in ("*", c) for p, c in zip(parsed, s))]

    def _tokens(self) -> list[str]:
        return ["sum", "a", "b", "*", *numbers(-(2 ** self.length), 2 ** self.length)]

    def _context_difficulties(self) -> list[int]:
        return list(range(self.length + 1))
