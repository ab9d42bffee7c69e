"""Plug-ins for the tests, imported by path (`plugin_parts:Name`) as a researcher's own module would be."""

from __future__ import annotations

import itertools

from ida.models.base import Answer
from ida.review.policies import Review
from ida.tasks import UNKNOWN, Question, ask, parse_int


class Ones:
    """Count the ones of a bit string; does not subclass `ida.Task` (gets the protocol's defaults)."""

    def __init__(self, max_len: int = 2, seed: int = 0) -> None:
        self.max_len, self.seed = max_len, seed
        self.all = [self.q(bits) for n in range(1, max_len + 1) for bits in itertools.product("01", repeat=n)]

    def q(self, bits) -> Question:
        return Question(f"ones:{''.join(bits)}", "count " + " ".join(bits), len(bits), "ones")

    def questions(self, split):
        return list(self.all)

    def difficulties(self):
        return list(range(1, self.max_len + 1))

    def decompose(self, question):
        bits = question.text.split()[1:]
        if len(bits) == 1:
            return bits[0]
        answers = yield from ask([self.q(bits[:1]), self.q(bits[1:])])
        counts = [parse_int(a, 0, 9) for a in answers or []]
        return UNKNOWN if None in counts or len(counts) != 2 else str(sum(counts))

    def true_answer(self, question):
        return str(question.text.split().count("1"))

    def vocabulary(self):
        return ["count", "=", UNKNOWN, *map(str, range(self.max_len + 1))]


class NoVocabulary(Ones):
    vocabulary = None  # type: ignore[assignment]


class DuplicateIds(Ones):
    def questions(self, split):
        return [*self.all, self.all[0]]


class NoTrainQuestions(Ones):
    def questions(self, split):
        return [] if split == "train" else self.all


class OddDifficulty(Ones):
    def difficulties(self):
        return [1]


class BadPrograms(Ones):
    """H fails in a different way for three of the questions; the others are fine."""

    def decompose(self, question):
        bits = "".join(question.text.split()[1:])
        if bits == "00":
            raise RuntimeError("H has a bug")  # raised when decompose is called (not a generator here)
        if bits == "01":
            return self._raising()
        if bits == "10":
            return self._odd()
        return super().decompose(question)

    def _raising(self):
        yield [self.q("0")]
        raise ZeroDivisionError("H divided by zero")

    def _odd(self):
        yield ["count 1", 7]
        return "1"


def ones_factory(max_len: int = 2) -> Ones:
    """A task from a factory function instead of a class."""
    return Ones(max_len)


class ConstantAnswerer:
    """Answers every prompt with `text` (an answerer plug-in, built with amplify.answerer.params)."""

    def __init__(self, text: str = "1") -> None:
        self.text, self.asked = text, 0

    def answer(self, prompts):
        self.asked += len(prompts)
        return [Answer(self.text) for _ in prompts]


class OwnDecomposer:
    """A decomposer plug-in: the task's H, under its own overseer name."""

    def __init__(self, task) -> None:
        self.task = task

    def program(self, question, depth=1):
        return self.task.decompose(question)

    def overseer(self, answerer_version):
        return f"H:own:{answerer_version}"


class AcceptAll:
    """A review policy plug-in: accepts every usable example and counts them."""

    def __init__(self, cfg) -> None:
        self.cfg = cfg

    def review(self, request):
        reviews = [Review(r.question_id, "accept", r.answer, "accept_all") for r in request.rows
                   if r.answer not in (None, UNKNOWN)]
        return reviews, {"accepted_by_plugin": len(reviews)}


CALLS = {"loss": 0}


def counted_sft(logits_B_T_V, labels_B_T):
    """A data objective plug-in: sft, counting its calls."""
    from ida.distill.objectives import sft_loss

    CALLS["loss"] += 1
    return sft_loss(logits_B_T_V, labels_B_T)


class HalfProtocol:
    """Has `program` but not `overseer`."""

    def __init__(self, task) -> None:
        pass

    def program(self, question, depth=1):
        return iter(())


NOT_CALLABLE = 42


def half_protocol_factory(task):
    """A decomposer factory whose product lacks `overseer` (known only once it is built)."""
    return HalfProtocol(task)
