"""Every built-in task scores its own true answers right (issue 23, item 5): exactly, through the lenient parser
that pretrained students get (exact format first, then lenient forms), and after a round trip through a
byte-level BPE tokenizer trained in-process (the student's own tokens: encode as a target, decode as generated)."""

from __future__ import annotations

import pytest

from ida.models.prompts import PromptFormat, StudentTokenizer
from ida.tasks import OPEN_TASKS, TASKS, make_task
from ida.tasks.answers import integer_answer, lenient_answers, well_formed
from tests.models.tiny_lm import bpe_tokenizer

CASES = [(name, form) for name in TASKS for form in ("weights", "context")] + [("addition", "weights")]


def wordy(task, answer: str) -> str:
    """How a chatty pretrained LM writes the answer."""
    return f"The answer is {answer}." if task.name != "addition" else f"Adding digit by digit, the sum is {answer}."


@pytest.mark.parametrize("name,form", CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_every_question_scores_its_true_answer(name, form):
    exact = make_task(name, form=form)
    lenient = lenient_answers(make_task(name, form=form))
    questions = exact.questions("train") + exact.questions("eval")
    sample = questions[::max(1, len(questions) // 300)]  # byte-level BPE: unseen text still round-trips
    texts = [f"{q.prompt} {exact.true_answer(q)}" for q in sample]
    tokenizer = StudentTokenizer(bpe_tokenizer(texts), PromptFormat(answer_prefix=" "))
    for q in questions:
        truth = exact.true_answer(q)
        assert exact.check(q, truth) and lenient.check(q, truth), q
        assert lenient.check(q, f"  {truth} \n") and lenient.check(q, wordy(exact, truth)), q
        assert well_formed(exact, q, truth), q
        generated = tokenizer.decode_answer(tokenizer.encode_answer(truth))  # the student's tokens, EOS cut
        assert lenient.check(q, generated) and exact.check(q, " ".join(generated.split())), (q, generated)
    assert lenient.answer_parser(truth) == truth  # exact format first: kept as it is


def test_addition_answers_are_not_reduced_to_their_last_integer():
    task = lenient_answers(make_task("addition", max_digits=3))
    q = task.question([4, 9], [7, 0], 1)  # 94 + 07 + 1 = 102, LSD first "2 0 1"
    assert task.check(q, "2 0 1") and task.check(q, "201") and task.check(q, "The sum is 2 0 1.")
    assert not task.check(q, "1") and not task.check(q, "2 0") and not task.check(q, "1 0 2")
    assert well_formed(task, q, "9 9 1") and not well_formed(task, q, "9 9 2")  # the carry is 0 or 1
    assert not well_formed(task, q, "2 0") and not well_formed(task, q, "?") and not well_formed(task, q, None)


def test_integer_answers_exact_first_then_lenient():
    assert integer_answer("17") == "17" and integer_answer(" 17 ") == "17"
    assert integer_answer("The answer is 17.") == "17" and integer_answer("-03") == "-3"
    assert integer_answer("no number") == "no number"


def test_open_tasks_are_covered():
    assert set(OPEN_TASKS) <= {name for name, _ in CASES}
