"""`Question` and the `Task` protocol shared by the built-in tasks.

H, the overseer program of a task, is a generator (`Task.decompose`): it yields a list of subquestions (asked
in parallel), receives their answers as strings in the same order, and finally returns the recomposed answer.
It answers the simplest questions itself by returning without yielding. Subanswers come from a model and may be
garbage: H never raises on them, it returns `UNKNOWN` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Form = Literal["weights", "context"]
Split = Literal["train", "eval"]
UNKNOWN = "?"

# H's program: yields batches of subquestions, receives their answers, returns the answer.
HProgram = Generator[list["Question"], list[str], str]


@dataclass(frozen=True)
class Question:
    """One question: `text` is what a model is asked (without the facts); `context` holds the facts in the
    in-context form and is empty in the in-weights form."""

    id: str
    text: str
    difficulty: int
    task: str
    context: tuple[str, ...] = field(default=())

    @property
    def prompt(self) -> str:
        """The text a model sees: facts (if any), then the question, then `=` where the answer starts."""
        facts = " ; ".join(self.context)
        return f"{facts} | {self.text} =" if facts else f"{self.text} ="


@runtime_checkable
class Task(Protocol):
    """A task: makes questions, knows H's decomposition and the true answer. A class that subclasses `Task`
    explicitly inherits the defaults of the optional features below; the task registry gives them to a plug-in
    that does not (`ida.tasks.plugin`), so every task has them and no caller probes with `getattr`."""

    name: str
    form: Form
    can_decompose: bool = True  # False: no H program of its own (amplify.decomposer must be llm or direct)
    # How H reads a student's answer ("The answer is 17." -> "17"); None: as it is (set for pretrained students).
    answer_parser: Callable[[str], str] | None = None
    # Tasks whose questions grow in length with a parameter (addition): its name, checked against the student's
    # context at start; such a task also has `answer_tokens()`, the longest answer in tokens.
    length_parameter: str | None = None
    # The task's own reading of a free-form answer (exact format first, then lenient); None: the generic reader
    # (`ida.tasks.answers.task_parser`).
    lenient_parser: Callable[[str], str] | None = None
    # Tokens after which coupled position ids restart (addition: "+", "="); () when the task declares none.
    position_separators: tuple[str, ...] = ()
    legend: str = ""  # one line saying what the evidence's symbols mean, shown to overseers
    review_guidelines: str = ""  # how to judge an answer of this task, shown beside each review item

    def questions(self, split: Split) -> list[Question]:
        """The questions of a split, in a fixed order. In the in-weights form the world is fixed and its
        question space finite, so both splits cover it (the eval split is a fixed sample); in the in-context
        form every question has a fresh world and the splits use disjoint seeds."""
        ...

    def difficulties(self) -> list[int]:
        """The difficulties questions can have, ascending."""
        ...

    def train_difficulties(self) -> list[int]:
        """The difficulties of train questions; tasks that evaluate beyond them (addition) say which."""
        return self.difficulties()

    def decompose(self, question: Question) -> HProgram:
        """H's program for `question` (see the module docstring)."""
        ...

    def true_answer(self, question: Question) -> str:
        """The correct answer, as the exact string a model should produce."""
        ...

    def vocabulary(self) -> list[str]:
        """Every whitespace-separated token a prompt or answer of this task can contain."""
        ...

    def evidence(self, question: Question) -> list[str]:
        """The facts a reviewer needs to check `question`'s answer (e.g. the lookups H's program uses), as lines
        of text; by default the question's own context."""
        return list(question.context)

    def facts(self, question: Question) -> list[str]:
        """Every fact of `question`'s world, for a reviewer to search beyond the evidence (the in-weights world
        the model was meant to learn, or the question's own context); by default its context."""
        return list(question.context)

    def validate_answer(self, answer: str) -> str | None:
        """Why `answer` cannot be an answer of this task (one line for the person who typed it), or None when it
        can; by default anything but empty text (after whitespace is normalised) can."""
        return None if answer.split() else "the answer is empty"

    def well_formed(self, question: Question, answer: str) -> bool:
        """Whether `answer` has the form `question` requires (addition: the right number of digits); by default,
        whether it is a valid answer at all (`validate_answer`)."""
        return self.validate_answer(answer) is None

    def derivation(self, question: Question) -> list[str] | None:
        """The evidence as an ordered derivation, steps numbered, for a reviewer; None: the evidence lines in
        order, numbered (`ida.review.view.derivation`)."""
        return None

    def check(self, question: Question, answer: str | None) -> bool:
        """Whether `answer` is right: by default, equal to the true answer (never right when either is None)."""
        truth = self.true_answer(question)
        return answer is not None and truth is not None and answer == truth


def ask(questions: list[Question]) -> Generator[list[Question], list[str], list[str] | None]:
    """Inside H (`answers = yield from ask([...])`): yield one batch and receive its answers; None when the answers
    are not a list of the right length (H then returns `UNKNOWN`). Non-string answers become ""."""
    batch = list(questions)
    answers = yield batch
    if not isinstance(answers, (list, tuple)) or len(answers) != len(batch):
        return None
    return [a if isinstance(a, str) else "" for a in answers]


_INT_TEXT = re.compile(r"-?[0-9]{1,12}")


def parse_int(text: object, lo: int, hi: int) -> int | None:
    """`text` as an integer in [lo, hi], or None (not a string, not a plain decimal, out of range)."""
    if not isinstance(text, str) or not _INT_TEXT.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if lo <= value <= hi else None


def drive(program: HProgram, answer_fn: Callable[[list[Question]], list[str]]) -> str:
    """Run H's `program` to completion, answering each batch it yields with `answer_fn`; return H's answer.

    The supervised baseline: `drive(task.decompose(q), lambda qs: [task.true_answer(x) for x in qs])`."""
    try:
        batch = next(program)
        while True:
            answers = list(answer_fn(batch))
            if len(answers) != len(batch):
                raise ValueError(f"answer_fn gave {len(answers)} answers for {len(batch)} questions")
            batch = program.send(answers)
    except StopIteration as stop:
        return stop.value
