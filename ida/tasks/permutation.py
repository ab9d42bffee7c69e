"""Permutation powering: facts are a permutation σ over items 0..N-1 (fact `x > σ(x)`); the question
`perm X ^ K` asks σ^K(X); difficulty = K.

H: K = 1 is its own lookup σ(X); else y = σ^⌊K/2⌋(X), z = σ^⌊K/2⌋(y) (two sequential subquestions), then
σ(z) by its own lookup if K is odd, else z.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ida.tasks.base import UNKNOWN, Form, HProgram, Question, ask, parse_int
from ida.tasks.world_task import Sub, WorldTask, check_int, numbers, per_form, token_int


@dataclass(frozen=True)
class Permutation:
    sigma: tuple[int, ...]
    order: tuple[int, ...]  # the order the facts are written in


class PermutationTask(WorldTask[Permutation, tuple[int, int]]):
    """`n_items` defaults to 32 in the in-weights form and 16 in the in-context form (contexts of 63 tokens).
    `n_train` is the size of the in-context train split (the in-weights train split is the whole space)."""

    name = "permutation"
    # For reviewers: what the evidence's symbols mean (one line), and how to judge an answer.
    legend = ("a > b: the permutation σ sends a to b; step i gives σ^i of the question's item, so the last step is σ^k")
    review_guidelines = (
        "Check the answer against the last step. Accept if they match; Edit to the last step's item"
        ' if not; Reject only if the question cannot be read.')

    def __init__(self, *, form: Form = "weights", seed: int = 0, n_items: int | None = None, max_k: int = 8,
                 eval_per_difficulty: int = 16, n_train: int = 2000) -> None:
        super().__init__(form=form, seed=seed, eval_per_difficulty=eval_per_difficulty, n_train=n_train)
        owner = type(self).__name__
        self.n_items = check_int(owner, "n_items", per_form(self.form, n_items, 32, 16), 2, 1000)
        self.max_k = check_int(owner, "max_k", max_k, 1, 1000)
        self._build()

    def _make_world(self, rng: random.Random) -> Permutation:
        sigma = list(range(self.n_items))
        rng.shuffle(sigma)
        order = list(range(self.n_items))
        rng.shuffle(order)
        return Permutation(tuple(sigma), tuple(order))

    def _facts(self, world: Permutation) -> tuple[str, ...]:
        return tuple(f"{x} > {world.sigma[x]}" for x in world.order)

    def _parse_facts(self, facts: tuple[str, ...]) -> Permutation:
        sigma: dict[int, int] = {}
        order: list[int] = []
        for fact in facts:
            parts = fact.split()
            x = token_int(parts[0], 0, self.n_items - 1) if len(parts) == 3 and parts[1] == ">" else None
            y = token_int(parts[2], 0, self.n_items - 1) if x is not None else None
            if x is None or y is None or x in sigma:
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            sigma[x] = y
            order.append(x)
        if len(sigma) != self.n_items or set(sigma.values()) != set(range(self.n_items)):
            raise ValueError(f"{self.name}: the facts are not a permutation of 0..{self.n_items - 1}")
        return Permutation(tuple(sigma[x] for x in range(self.n_items)), tuple(order))

    def _space(self, world: Permutation) -> list[tuple[str, int]]:
        return [(f"perm {x} ^ {k}", k) for x in range(self.n_items) for k in range(1, self.max_k + 1)]

    def _parse_text(self, world: Permutation, text: str) -> tuple[int, int]:
        parts = text.split()
        if len(parts) == 4 and parts[0] == "perm" and parts[2] == "^":
            x, k = token_int(parts[1], 0, self.n_items - 1), token_int(parts[3], 1, self.max_k)
            if x is not None and k is not None:
                return x, k
        raise ValueError(f"{self.name}: not a question: {text!r}")

    def _difficulty(self, world: Permutation, parsed: tuple[int, int]) -> int:
        return parsed[1]

    def validate_answer(self, answer: str) -> str | None:
        if parse_int(answer, 0, self.n_items - 1) is None or len(answer.split()) != 1:
            return f"{answer.strip()[:40]!r} is not an item: write a whole number from 0 to {self.n_items - 1}"
        return None

    def _answer(self, world: Permutation, parsed: tuple[int, int]) -> str:
        x, k = parsed
        for _ in range(k):
            x = world.sigma[x]
        return str(x)

    def _program(self, world: Permutation, parsed: tuple[int, int], sub: Sub) -> HProgram:
        x, k = parsed
        if k == 1:
            return str(world.sigma[x])
        half = k // 2
        answers = yield from ask([sub(f"perm {x} ^ {half}")])
        y = parse_int(answers[0], 0, self.n_items - 1) if answers else None
        if y is None:
            return UNKNOWN
        answers = yield from ask([sub(f"perm {y} ^ {half}")])
        z = parse_int(answers[0], 0, self.n_items - 1) if answers else None
        if z is None:
            return UNKNOWN
        return str(world.sigma[z]) if k % 2 else str(z)

    def _evidence(self, world: Permutation, parsed: tuple[int, int]) -> list[str]:
        """The k lookups x > σ(x) along the path from X to σ^K(X)."""
        x, k = parsed
        facts = []
        for _ in range(k):
            facts.append(f"{x} > {world.sigma[x]}")
            x = world.sigma[x]
        return facts

    def derivation(self, question: Question) -> list[str]:
        """The evidence as numbered steps, each saying which power of σ it reaches."""
        world, _ = self._world_of(question)
        x, k = self._parse_text(world, question.text)
        start, steps = x, []
        for i in range(1, k + 1):
            steps.append(f"{i}. {x} > {world.sigma[x]}   (σ^{i}({start}) = {world.sigma[x]})")
            x = world.sigma[x]
        return steps

    def _tokens(self) -> list[str]:
        return ["perm", "^", ">", *numbers(0, max(self.n_items - 1, self.max_k))]

    def _context_difficulties(self) -> list[int]:
        return list(range(1, self.max_k + 1))
