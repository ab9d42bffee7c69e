"""`WorldTask`: the machinery the built-in tasks share.

A task instance is a family of *worlds* (a permutation, a graph, ...). A world has facts (strings; the context of
an in-context question) and a finite question space: (text, difficulty) pairs. A subclass says how to draw a world
from a `random.Random`, how to write its facts and parse them back (H in the in-context form knows only the
context), how to parse a question text, its difficulty, its true answer and H's program.

- In-weights form: one world drawn from the seed; train = its whole question space, eval = a fixed sample of up to
  `eval_per_difficulty` questions per difficulty; contexts are empty.
- In-context form: each question draws a fresh world from its own `Random(f"{name}:{seed}:{split}:...")`, so the
  splits use disjoint seed streams; ids are unique within and across the splits (the train split skips any
  question already in the eval split).

Question ids are `"{task}:{world id}:{text with _ for spaces}"`, the world id a hash of the world's facts, so the
same question always gets the same id and different questions different ids.
"""

from __future__ import annotations

import hashlib
import inspect
import random
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from ida.tasks.base import UNKNOWN, Form, HProgram, Question, Split, Task, parse_int

W = TypeVar("W")
P = TypeVar("P")
Sub = Callable[[str], Question]

SPECIAL_TOKENS = ("|", ";", "=", UNKNOWN)
_ATTEMPTS_PER_QUESTION = 50


def check_form(owner: str, form: object) -> Form:
    if form not in ("weights", "context"):
        raise ValueError(f"{owner}: form must be 'weights' or 'context', got {form!r}")
    return form  # type: ignore[return-value]


def check_int(owner: str, name: str, value: object, lo: int | None = None, hi: int | None = None) -> int:
    """`value` if it is an int (not a bool) in [lo, hi], else ValueError naming the parameter."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be an integer, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"in [{lo}, {hi}]" if lo is not None else f"<= {hi}"
        raise ValueError(f"{owner}: {name} must be {bounds}, got {value}")
    return value


def per_form(form: Form, value: Any, weights_default: Any, context_default: Any) -> Any:
    """`value`, or the default of the form when it is None."""
    if value is not None:
        return value
    return weights_default if form == "weights" else context_default


def world_id(facts: tuple[str, ...]) -> str:
    return hashlib.blake2b("\n".join(facts).encode(), digest_size=5).hexdigest()


def token_int(token: str, lo: int, hi: int) -> int | None:
    """A token of a question text or fact as an integer in [lo, hi], or None (also when not written canonically,
    as "07" or " 7"; model answers are parsed leniently with `parse_int` instead)."""
    value = parse_int(token, lo, hi)
    return value if value is not None and token == str(value) else None


def numbers(lo: int, hi: int) -> list[str]:
    return [str(i) for i in range(lo, hi + 1)]


class WorldTask(Task, Generic[W, P]):
    """Base of the built-in tasks (see the module docstring). Subclasses call `super().__init__` first, then
    validate and store their own parameters, then call `self._build()`."""

    name: ClassVar[str] = ""

    def __init__(self, *, form: Form, seed: int, eval_per_difficulty: int, n_train: int) -> None:
        owner = type(self).__name__
        self.form: Form = check_form(owner, form)
        self.seed = check_int(owner, "seed", seed)
        self.eval_per_difficulty = check_int(owner, "eval_per_difficulty", eval_per_difficulty, 1)
        self.n_train = check_int(owner, "n_train", n_train, 1)
        self._splits: dict[str, list[Question]] = {}
        self._parsed: dict[tuple[str, ...], tuple[W, str]] = {}

    # ---- hooks for subclasses -------------------------------------------------------------------------------
    def _make_world(self, rng: random.Random) -> W:
        raise NotImplementedError

    def _facts(self, world: W) -> tuple[str, ...]:
        raise NotImplementedError

    def _parse_facts(self, facts: tuple[str, ...]) -> W:
        """The world the facts describe; ValueError when they describe none."""
        raise NotImplementedError

    def _space(self, world: W) -> list[tuple[str, int]]:
        """The world's question space: (text, difficulty) pairs in a fixed order."""
        raise NotImplementedError

    def _parse_text(self, world: W, text: str) -> P:
        """A question text parsed against the world; ValueError when it is not a question of this task."""
        raise NotImplementedError

    def _difficulty(self, world: W, parsed: P) -> int:
        raise NotImplementedError

    def _answer(self, world: W, parsed: P) -> str:
        raise NotImplementedError

    def _program(self, world: W, parsed: P, sub: Sub) -> HProgram:
        raise NotImplementedError

    def _evidence(self, world: W, parsed: P) -> list[str]:
        """The facts (written as `_facts` writes them, plus any of H's own fixed knowledge it uses) from which a
        reviewer can check the question's answer; by default every fact of the world."""
        return list(self._facts(world))

    def _tokens(self) -> list[str]:
        """Task tokens (SPECIAL_TOKENS are added by `vocabulary`)."""
        raise NotImplementedError

    def _context_difficulties(self) -> list[int]:
        raise NotImplementedError

    def _eval_eligible(self, text: str) -> bool:
        """Whether questions of this text's kind go into the eval split."""
        return True

    def _context_eval_difficulties(self) -> list[int]:
        return self._context_difficulties()

    # ---- construction ---------------------------------------------------------------------------------------
    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join([self.name, str(self.seed), *map(str, parts)]))

    def _build(self) -> None:
        if self.form == "weights":
            self._world = self._make_world(self._rng("world"))
            self._wid = world_id(self._facts(self._world))
            self._train_space = [self._question(self._world, self._wid, (), t) for t, _ in self._space(self._world)]

    def _question(self, world: W, wid: str, context: tuple[str, ...], text: str) -> Question:
        difficulty = self._difficulty(world, self._parse_text(world, text))
        return Question(f"{self.name}:{wid}:{text.replace(' ', '_')}", text, difficulty, self.name, context)

    def _world_of(self, question: Question) -> tuple[W, str]:
        if question.task != self.name:
            raise ValueError(f"{self.name}: got a question of task {question.task!r}")
        if self.form == "weights":
            if question.context:
                raise ValueError(f"{self.name}: in-weights questions carry no context")
            return self._world, self._wid
        if not question.context:
            raise ValueError(f"{self.name}: in-context questions need their facts in `context`")
        hit = self._parsed.get(question.context)
        if hit is None:
            if len(self._parsed) >= 4096:
                self._parsed.clear()
            hit = self._parsed[question.context] = (self._parse_facts(question.context), world_id(question.context))
        return hit

    # ---- the Task protocol ----------------------------------------------------------------------------------
    def questions(self, split: Split) -> list[Question]:
        if split not in ("train", "eval"):
            raise ValueError(f"{self.name}: split must be 'train' or 'eval', got {split!r}")
        if split not in self._splits:
            if self.form == "weights":
                self._splits[split] = list(self._train_space) if split == "train" else self._weights_eval()
            else:
                self._splits[split] = self._context_split(split)
        return list(self._splits[split])

    def difficulties(self) -> list[int]:
        if self.form == "weights":
            return sorted({q.difficulty for q in self._train_space})
        return list(self._context_difficulties())

    def eval_difficulties(self) -> list[int]:
        """The difficulties the eval split holds questions of."""
        if self.form == "weights":
            return sorted({q.difficulty for q in self._train_space if self._eval_eligible(q.text)})
        return list(self._context_eval_difficulties())

    def decompose(self, question: Question) -> HProgram:
        world, wid = self._world_of(question)
        parsed = self._parse_text(world, question.text)

        def sub(text: str) -> Question:
            return self._question(world, wid, question.context, text)

        return self._program(world, parsed, sub)

    def true_answer(self, question: Question) -> str:
        world, _ = self._world_of(question)
        return self._answer(world, self._parse_text(world, question.text))

    def validate_answer(self, answer: str) -> str | None:
        """An answer must have the shape of this task's answers: as many tokens as one of its true answers, each
        token one that its true answers use (e.g. a number in range for permutation; never "thirty one" or "4e").
        H's "I could not" (`?`) is not an answer to train on."""
        tokens = answer.split()
        if not tokens:
            return "the answer is empty"
        lengths, allowed = self._answer_shapes()
        bad = [t for t in tokens if t not in allowed]
        if bad or len(tokens) not in lengths:
            example = ", ".join(sorted(allowed, key=lambda t: (len(t), t))[:6])
            what = f"{bad[0]!r} is not" if bad else f"{len(tokens)} words is not"
            return f"{what} an answer of {self.name}: answers look like {example}, ..."
        return None

    def _answer_shapes(self) -> tuple[set[int], set[str]]:
        """(token counts, tokens) of the true answers over both splits, computed once."""
        if getattr(self, "_shapes", None) is None:
            answers = [self.true_answer(q).split() for split in ("train", "eval") for q in self.questions(split)]
            self._shapes = ({len(a) for a in answers}, {t for a in answers for t in a} - {UNKNOWN})
        return self._shapes

    def vocabulary(self) -> list[str]:
        return list(dict.fromkeys([*SPECIAL_TOKENS, *self._tokens()]))

    def evidence(self, question: Question) -> list[str]:
        """The facts relevant to `question` (a question of a split or any subquestion H asks): in the in-weights
        form taken from the task's fixed world, in the in-context form from the question's own context."""
        world, _ = self._world_of(question)
        return list(dict.fromkeys(self._evidence(world, self._parse_text(world, question.text))))

    def facts(self, question: Question) -> list[str]:
        """Every fact of `question`'s world: the fixed world in the in-weights form, its context in the other."""
        world, _ = self._world_of(question)
        return list(self._facts(world))

    # ---- splits ---------------------------------------------------------------------------------------------
    def _weights_eval(self) -> list[Question]:
        rng = self._rng("eval-sample")
        by_difficulty: dict[int, list[Question]] = {}
        for q in self._train_space:
            if self._eval_eligible(q.text):
                by_difficulty.setdefault(q.difficulty, []).append(q)
        out: list[Question] = []
        for d in sorted(by_difficulty):
            qs = by_difficulty[d]
            out += [qs[i] for i in sorted(rng.sample(range(len(qs)), min(self.eval_per_difficulty, len(qs))))]
        return out

    def _draw(self, rng: random.Random, difficulty: int | None, taken: set[str]) -> Question | None:
        """A question from a fresh world drawn from `rng` (of `difficulty`, or of a uniformly drawn difficulty),
        or None when that world has none or it is already taken."""
        world = self._make_world(rng)
        allowed = {difficulty} if difficulty is not None else set(self._context_difficulties())
        groups: dict[int, list[str]] = {}
        for text, d in self._space(world):
            if d in allowed and (difficulty is None or self._eval_eligible(text)):
                groups.setdefault(d, []).append(text)
        if not groups:
            return None
        text = rng.choice(groups[rng.choice(sorted(groups))])
        facts = self._facts(world)
        q = self._question(world, world_id(facts), facts, text)
        return None if q.id in taken else q

    def _context_split(self, split: str) -> list[Question]:
        out: list[Question] = []
        if split == "eval":
            taken: set[str] = set()
            for d in self.eval_difficulties():
                got = 0
                for attempt in range(_ATTEMPTS_PER_QUESTION * self.eval_per_difficulty + 100):
                    if got == self.eval_per_difficulty:
                        break
                    q = self._draw(self._rng("eval", d, attempt), d, taken)
                    if q is not None:
                        taken.add(q.id)
                        out.append(q)
                        got += 1
                if got < self.eval_per_difficulty:
                    raise ValueError(
                        f"{self.name}: could not draw {self.eval_per_difficulty} distinct eval questions of "
                        f"difficulty {d}; use larger worlds or a smaller eval_per_difficulty")
            return out
        taken = {q.id for q in self.questions("eval")}
        for attempt in range(_ATTEMPTS_PER_QUESTION * self.n_train + 100):
            if len(out) == self.n_train:
                return out
            q = self._draw(self._rng("train", attempt), None, taken)
            if q is not None:
                taken.add(q.id)
                out.append(q)
        if len(out) == self.n_train:
            return out
        raise ValueError(f"{self.name}: could not draw {self.n_train} distinct train questions; "
                         "use larger worlds or a smaller n_train")

    def __repr__(self) -> str:
        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        params = ", ".join(f"{n}={getattr(self, n)!r}" for n in names if hasattr(self, n))
        return f"{type(self).__name__}({params})"
