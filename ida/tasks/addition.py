"""Multi-digit addition: a question space with no end, so evaluation is held out by construction.

A question is `a + b + c`: two operands of n digits each (any digits, leading zeros included) and a carry-in c in
{0, 1}; difficulty = n. Digits are tokens, and operands and answer are all written *least significant digit
first*: digit i of the answer then sits at a fixed distance from digit i of each operand and comes after the
carry that feeds it, so a small causal student can learn it (written most significant first, every answer
digit would depend on digits not yet written). The answer always has n + 1 digits, the last being the carry
out (often 0). Example (LSD first): `4 9 + 7 0 + 1 =` is 94 + 07 + 1 = 102, answer `2 0 1`.

H (`split`):
- `halve` (default): the low ceil(n/2) digits with the carry-in, then the high digits with the low part's
  carry out; H writes the low digits then the high answer. A model that adds up to m digits makes Amp right up
  to 2m digits, so the frontier can double per cycle (the paper's rate).
- `peel`: the low n-1 digits with the carry-in, then H adds the top digits and the carry itself (a one-digit
  sum): the frontier grows by one digit per cycle.
One-digit sums H answers itself (`h_digits`, default 1: sums of up to that many digits; more is H with a wider
reach, e.g. Lee et al.'s self-improvement, which starts from labels of 1..10 digits). The carry-in is part of
every question so H's subquestions (the high half with a carry) are questions of the same space.

Splits: train questions come from the stream `Random("addition:{seed}:train:{i}")` with lengths 1..`max_digits`
(uniform), eval questions from `Random("addition:{seed}:eval:{n}:{i}")`, `eval_per_difficulty` per length for
lengths 1..`eval_max_digits`; a train draw equal to an eval question of two or more digits is skipped, so every
eval question from two digits up is held out. One-digit sums are the exception: their 200 questions are the
addition table, the base facts H knows (as the in-weights tasks' facts are), which no amount of multi-digit
training teaches for a pair never seen; so the train split may hold them all and the one-digit eval questions
are a sample of that table. Eval lengths above `max_digits` measure extrapolation (never trained, not even as
subquestions).
There are no facts: both forms are the same (questions never carry a context).
"""

from __future__ import annotations

import random
import re
from typing import ClassVar, Literal

from ida.tasks.base import UNKNOWN, Form, HProgram, Question, Split, Task, ask
from ida.tasks.world_task import SPECIAL_TOKENS, check_form, check_int

DIGITS = [str(d) for d in range(10)]
MAX_DIGITS = 256  # room for GPU runs past Lee et al.'s 100 digits (train 128, eval to 136)
_ATTEMPTS_PER_QUESTION = 50


def parse_digits(text: object, count: int, last_max: int = 9) -> list[int] | None:
    """A model's answer as exactly `count` space-separated digits (the last at most `last_max`), or None."""
    if not isinstance(text, str):
        return None
    tokens = text.split()
    if len(tokens) != count or any(t not in DIGITS for t in tokens) or int(tokens[-1]) > last_max:
        return None
    return [int(t) for t in tokens]


def digits_answer(text: str) -> str:
    """Exact first (space-separated digits, kept), else the last run of digits, one token per digit."""
    tokens = text.split()
    if tokens and all(t in DIGITS for t in tokens):
        return " ".join(tokens)
    runs = re.findall(r"\d(?:\s*\d)*", text)
    return " ".join(re.sub(r"\s", "", runs[-1])) if runs else text.strip()


def digits_text(digits: list[int]) -> str:
    return " ".join(map(str, digits))


def add_digits(a: list[int], b: list[int], carry: int) -> list[int]:
    """a + b + carry, all least significant digit first; n + 1 digits (the last is the carry out)."""
    out = []
    for x, y in zip(a, b):
        carry, digit = divmod(x + y + carry, 10)
        out.append(digit)
    return out + [carry]


class AdditionTask(Task):
    """See the module docstring. `max_digits`: the longest trained length; `eval_max_digits` (default
    `max_digits` + 2): the longest eval length; `n_train`: size of the train split; `h_digits`: the longest sum H
    answers itself (1: only the addition table)."""

    name: ClassVar[str] = "addition"
    length_parameter: ClassVar[str] = "eval_max_digits"  # named when the longest question does not fit a model
    # where a student's coupled position ids restart (`model.position_scheme: coupled`): digit i of each operand,
    # of the carry-in and of the answer then share position i + 1
    position_separators: ClassVar[tuple[str, ...]] = ("+", "=")

    def __init__(self, *, form: Form = "weights", seed: int = 0, max_digits: int = 6,
                 eval_max_digits: int | None = None, eval_per_difficulty: int = 32, n_train: int = 3000,
                 split: Literal["halve", "peel"] = "halve", h_digits: int = 1) -> None:
        owner = type(self).__name__
        self.form: Form = check_form(owner, form)
        self.seed = check_int(owner, "seed", seed)
        self.max_digits = check_int(owner, "max_digits", max_digits, 1, MAX_DIGITS)
        default_eval = max_digits + 2
        self.eval_max_digits = check_int(owner, "eval_max_digits",
                                         default_eval if eval_max_digits is None else eval_max_digits,
                                         self.max_digits, MAX_DIGITS)
        self.eval_per_difficulty = check_int(owner, "eval_per_difficulty", eval_per_difficulty, 1, 10_000)
        self.n_train = check_int(owner, "n_train", n_train, 1, 1_000_000)
        if split not in ("halve", "peel"):
            raise ValueError(f"{owner}: split must be 'halve' or 'peel', got {split!r}")
        self.split = split
        self.h_digits = check_int(owner, "h_digits", h_digits, 1, self.max_digits)
        for n in range(1, self.eval_max_digits + 1):
            if self.eval_per_difficulty > self._space_size(n) // 2:
                raise ValueError(f"{owner}: eval_per_difficulty={self.eval_per_difficulty} is more than half of "
                                 f"the {self._space_size(n)} questions of {n} digit(s)")
        room = sum(self._space_size(n) for n in range(1, self.max_digits + 1)) \
            - self.eval_per_difficulty * self.max_digits
        if self.n_train > room // 2:
            raise ValueError(f"{owner}: n_train={self.n_train} is more than half of the {room} questions of up to "
                             f"max_digits={self.max_digits} digits outside the eval split")
        self._splits: dict[str, list[Question]] = {}

    @staticmethod
    def _space_size(n: int) -> int:
        return 2 * 100 ** n

    # ---- questions ------------------------------------------------------------------------------------------
    def question(self, a: list[int], b: list[int], carry: int) -> Question:
        text = f"{digits_text(a)} + {digits_text(b)} + {carry}"
        return Question(f"{self.name}:{text.replace(' ', '_')}", text, len(a), self.name)

    def _draw(self, rng: random.Random, n: int) -> Question:
        a = [rng.randrange(10) for _ in range(n)]
        b = [rng.randrange(10) for _ in range(n)]
        return self.question(a, b, rng.randrange(2))

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join([self.name, str(self.seed), *map(str, parts)]))

    def questions(self, split: Split) -> list[Question]:
        if split not in ("train", "eval"):
            raise ValueError(f"{self.name}: split must be 'train' or 'eval', got {split!r}")
        if split not in self._splits:
            self._splits[split] = self._eval_split() if split == "eval" else self._train_split()
        return list(self._splits[split])

    def _eval_split(self) -> list[Question]:
        return [q for n in self.eval_difficulties() for q in self._eval_stream(n, 0, self.eval_per_difficulty, set())]

    def _eval_stream(self, n: int, start: int, count: int, taken: set[str]) -> list[Question]:
        """Up to `count` questions of length n from the eval stream, from index `start` on, skipping (and adding to)
        the ids in `taken`."""
        out: list[Question] = []
        for i in range(start, start + _ATTEMPTS_PER_QUESTION * count):
            if len(out) == count:
                break
            q = self._draw(self._rng("eval", n, i), n)
            if q.id not in taken:
                taken.add(q.id)
                out.append(q)
        return out

    def _train_split(self) -> list[Question]:
        taken = {q.id for q in self.questions("eval") if q.difficulty > 1}  # one-digit sums: the table (above)
        out: list[Question] = []
        for i in range(_ATTEMPTS_PER_QUESTION * self.n_train):
            if len(out) == self.n_train:
                break
            rng = self._rng("train", i)
            q = self._draw(rng, rng.randint(1, self.max_digits))
            if q.id not in taken:
                taken.add(q.id)
                out.append(q)
        if len(out) < self.n_train:
            raise ValueError(f"{self.name}: could not draw n_train={self.n_train} distinct train questions")
        return out

    def more_eval_questions(self, difficulty: int, count: int) -> list[Question]:
        """`count` more held-out questions of one length, for a measurement finer than the eval split's: the eval
        stream of that length past the split (so none is an eval question), skipping train questions and repeats.
        Deterministic for the task's seed."""
        if not 1 <= difficulty <= MAX_DIGITS or count < 0:
            raise ValueError(f"{self.name}: more_eval_questions needs 1 <= difficulty <= {MAX_DIGITS} and count "
                             f">= 0, got {difficulty}, {count}")
        taken = {q.id for q in self.questions("eval")} | {q.id for q in self.questions("train")}
        out = self._eval_stream(difficulty, self.eval_per_difficulty, count, taken)
        if len(out) < count:
            raise ValueError(f"{self.name}: could not draw {count} more held-out questions of {difficulty} digit(s)")
        return out

    def difficulties(self) -> list[int]:
        """Every length a question can have (trained and extrapolation)."""
        return list(range(1, self.eval_max_digits + 1))

    def train_difficulties(self) -> list[int]:
        return list(range(1, self.max_digits + 1))

    def eval_difficulties(self) -> list[int]:
        return self.difficulties()

    # ---- parsing and answers --------------------------------------------------------------------------------
    def parse(self, question: Question) -> tuple[list[int], list[int], int]:
        """(a, b, carry) of a question of this task, LSD first; ValueError for anything else."""
        if question.task != self.name:
            raise ValueError(f"{self.name}: got a question of task {question.task!r}")
        if question.context:
            raise ValueError(f"{self.name}: questions carry no context")
        parts = question.text.split(" + ")
        if len(parts) == 3:
            a, b, carry = (p.split() for p in parts)
            if (a and len(a) == len(b) and len(carry) == 1 and carry[0] in ("0", "1")
                    and all(t in DIGITS for t in a + b)):
                return [int(t) for t in a], [int(t) for t in b], int(carry[0])
        raise ValueError(f"{self.name}: not a question: {question.text!r}")

    def true_answer(self, question: Question) -> str:
        return digits_text(add_digits(*self.parse(question)))

    def decompose(self, question: Question) -> HProgram:
        a, b, carry = self.parse(question)
        return self._program(a, b, carry)

    def _program(self, a: list[int], b: list[int], carry: int) -> HProgram:
        n = len(a)
        if n <= self.h_digits:  # within H's reach (one-digit sums by default): H answers itself
            return digits_text(add_digits(a, b, carry))
        low = (n + 1) // 2 if self.split == "halve" else n - 1
        answers = yield from ask([self.question(a[:low], b[:low], carry)])
        low_sum = parse_digits(answers[0], low + 1, last_max=1) if answers else None
        if low_sum is None:
            return UNKNOWN
        if self.split == "peel":  # the top digits plus the carry: a one-digit sum H does itself
            return digits_text(low_sum[:-1] + add_digits(a[low:], b[low:], low_sum[-1]))
        answers = yield from ask([self.question(a[low:], b[low:], low_sum[-1])])
        high_sum = parse_digits(answers[0], n - low + 1, last_max=1) if answers else None
        if high_sum is None:
            return UNKNOWN
        return digits_text(low_sum[:-1] + high_sum)

    def vocabulary(self) -> list[str]:
        return list(dict.fromkeys([*SPECIAL_TOKENS, "+", *DIGITS]))

    def well_formed(self, question: Question, answer: str) -> bool:
        """The answer's form, from the question alone: n + 1 digits, the last (the carry out) 0 or 1."""
        return parse_digits(answer, len(self.parse(question)[0]) + 1, last_max=1) is not None

    @staticmethod
    def lenient_parser(text: str) -> str:
        """A pretrained LM's digits (`ida.tasks.answers`): space-separated digits as they are, else the last run of
        digits in the text, one token per digit ("The sum is 2 0 1." and "201" -> "2 0 1")."""
        return digits_answer(text)

    def answer_tokens(self) -> int:
        """Tokens of the longest answer (the model's `max_answer_tokens` must be at least this)."""
        return self.eval_max_digits + 1

    def __repr__(self) -> str:
        return (f"AdditionTask(form={self.form!r}, seed={self.seed}, max_digits={self.max_digits}, "
                f"eval_max_digits={self.eval_max_digits}, eval_per_difficulty={self.eval_per_difficulty}, "
                f"n_train={self.n_train}, split={self.split!r}, h_digits={self.h_digits})")
