"""The addition task: H's programs (both splits) against the true answers, garbage subanswers, the held-out
split with its extrapolation lengths, and bad parameters."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ida.tasks import UNKNOWN, AdditionTask, Question, Task, drive, make_task
from ida.tasks.addition import add_digits, parse_digits

SETTINGS = settings(max_examples=25, deadline=None)
operands = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 9), min_size=n, max_size=n), st.lists(st.integers(0, 9), min_size=n, max_size=n),
    st.integers(0, 1)))


def _value(digits: list[int]) -> int:
    return sum(d * 10 ** i for i, d in enumerate(digits))


def _solve(task: AdditionTask, q: Question, seen: list[tuple[Question, Question]]) -> str:
    """H alone, recursively: every subquestion answered by H again."""
    def answer(batch: list[Question]) -> list[str]:
        seen.extend((q, sub) for sub in batch)
        return [_solve(task, sub, seen) for sub in batch]
    return drive(task.decompose(q), answer)


@SETTINGS
@given(ops=operands, split=st.sampled_from(["halve", "peel"]))
def test_true_answer_is_the_sum_lsd_first_and_h_recomposes_it(ops, split):
    a, b, carry = ops
    task = AdditionTask(split=split, max_digits=4, eval_per_difficulty=2, n_train=5)
    q = task.question(a, b, carry)
    truth = task.true_answer(q)
    assert _value([int(t) for t in truth.split()]) == _value(a) + _value(b) + carry and len(truth.split()) == len(a) + 1
    assert drive(task.decompose(q), lambda qs: [task.true_answer(x) for x in qs]) == truth
    seen: list[tuple[Question, Question]] = []
    assert _solve(task, q, seen) == truth
    for parent, sub in seen:  # subquestions: easier questions of the same task, in its vocabulary
        assert sub.task == "addition" and sub.difficulty < parent.difficulty and not sub.context
        assert set(sub.prompt.split()) <= set(task.vocabulary())


@pytest.mark.parametrize("split,first,second", [("halve", 3, 2), ("peel", 4, None)])
def test_the_split_halves_or_peels_one_digit(split, first, second):
    task = AdditionTask(split=split, max_digits=5, eval_per_difficulty=2, n_train=5)
    q = task.question([9, 9, 9, 9, 9], [0, 0, 0, 0, 1], 1)
    program = task.decompose(q)
    [sub] = next(program)
    assert sub.difficulty == first and sub.text.endswith("+ 1")  # the low digits keep the carry-in
    if second is None:
        with pytest.raises(StopIteration) as stop:
            program.send([task.true_answer(sub)])
        assert stop.value.value == task.true_answer(q)
    else:
        [high] = program.send([task.true_answer(sub)])
        assert high.difficulty == second and high.text == "9 9 + 0 1 + 1"  # the low part's carry out is 1
    one = task.question([7], [5], 1)
    with pytest.raises(StopIteration) as stop:  # one-digit sums: H answers itself
        next(task.decompose(one))
    assert stop.value.value == "3 1"


_GARBAGE = ["", "?", "1", "1 2", "1 2 3 4 5 6 7 8 9", "x y", "1 2 7", "a", "-1 2", "12 3", None, 5, ["1"]]


@SETTINGS
@given(ops=operands, split=st.sampled_from(["halve", "peel"]), seed=st.integers(0, 10**6))
def test_h_fed_garbage_returns_unknown_or_digits_and_stops(ops, split, seed):
    task = AdditionTask(split=split, max_digits=4, eval_per_difficulty=2, n_train=5)
    rng = random.Random(seed)
    program = task.decompose(task.question(*ops))
    try:
        batch = next(program)
        for _ in range(10):
            answers = rng.choice([[rng.choice(_GARBAGE) for _ in batch], [], None, ["1"] * 3])
            batch = program.send(answers)
        raise AssertionError("H did not stop")
    except StopIteration as stop:
        answer = stop.value
    assert answer == UNKNOWN or parse_digits(answer, len(ops[0]) + 1) is not None


def test_splits_are_disjoint_seeded_and_cover_the_extrapolation_lengths():
    task = make_task("addition", max_digits=3, eval_max_digits=5, eval_per_difficulty=4, n_train=300, seed=7)
    assert isinstance(task, Task)
    train, evals = task.questions("train"), task.questions("eval")
    assert len(train) == 300 and len({q.id for q in train}) == 300
    # eval is held out from two digits up; one-digit sums are the addition table H knows, trained whole
    assert not {q.id for q in train} & {q.id for q in evals if q.difficulty > 1}
    assert {q.id for q in evals if q.difficulty == 1} & {q.id for q in train}
    assert {q.difficulty for q in train} == {1, 2, 3} == set(task.train_difficulties())
    assert [q.difficulty for q in evals] == [d for d in (1, 2, 3, 4, 5) for _ in range(4)]
    assert task.difficulties() == [1, 2, 3, 4, 5] and task.answer_tokens() == 6
    twin = make_task("addition", max_digits=3, eval_max_digits=5, eval_per_difficulty=4, n_train=300, seed=7)
    assert twin.questions("train") == train and twin.questions("eval") == evals
    other = make_task("addition", max_digits=3, eval_max_digits=5, eval_per_difficulty=4, n_train=300, seed=8)
    assert other.questions("eval") != evals
    for q in train + evals:
        assert set(q.prompt.split()) | set(task.true_answer(q).split()) <= set(task.vocabulary())


def test_add_digits_and_parse_digits():
    assert add_digits([9, 9], [1, 0], 0) == [0, 0, 1]
    assert parse_digits("1 2 1", 3, last_max=1) == [1, 2, 1]
    assert parse_digits("1 2 2", 3, last_max=1) is None and parse_digits("1 2", 3) is None


@pytest.mark.parametrize("params,name", [({"max_digits": 0}, "max_digits"), ({"max_digits": 257}, "max_digits"),
                                         ({"max_digits": 4, "eval_max_digits": 3}, "eval_max_digits"),
                                         ({"split": "thirds"}, "split"), ({"n_train": 0}, "n_train"),
                                         ({"max_digits": 1, "n_train": 500}, "n_train"),
                                         ({"eval_per_difficulty": 101}, "eval_per_difficulty"),
                                         ({"digits": 3}, "digits")])
def test_bad_parameters_fail_naming_the_parameter(params, name):
    with pytest.raises(ValueError, match=name):
        make_task("addition", **params)


def test_foreign_and_malformed_questions_are_rejected():
    task = AdditionTask(max_digits=2, eval_per_difficulty=2, n_train=5)
    for bad in (Question("x", "1 + 2 + 0", 1, "permutation"), Question("x", "1 2 + 3 + 0", 2, "addition"),
                Question("x", "1 + 2 + 2", 1, "addition"), Question("x", "1 + 2", 1, "addition"),
                Question("x", "1 + 2 + 0", 1, "addition", ("fact",))):
        with pytest.raises(ValueError):
            task.true_answer(bad)
        with pytest.raises(ValueError):
            task.decompose(bad)


def test_more_eval_questions_are_held_out_distinct_of_the_length_and_reproducible():
    task = AdditionTask(max_digits=3, eval_max_digits=4, eval_per_difficulty=8, n_train=500)
    seen = {q.id for q in task.questions("train")} | {q.id for q in task.questions("eval")}
    more = task.more_eval_questions(2, 300)
    assert len(more) == len({q.id for q in more}) == 300
    assert all(q.difficulty == 2 and q.id not in seen for q in more)
    assert [q.id for q in AdditionTask(max_digits=3, eval_max_digits=4, eval_per_difficulty=8, n_train=500)
            .more_eval_questions(2, 300)] == [q.id for q in more]
    assert task.more_eval_questions(4, 0) == []
    with pytest.raises(ValueError, match="could not draw 200 more held-out questions of 1 digit"):
        task.more_eval_questions(1, 200)  # the one-digit table holds 200 sums, some of them eval or train
    with pytest.raises(ValueError, match="more_eval_questions needs"):
        task.more_eval_questions(0, 1)


def test_h_digits_widens_what_h_answers_itself_and_is_checked():
    task = AdditionTask(max_digits=6, eval_per_difficulty=2, n_train=5, h_digits=3)
    three = task.question([9, 9, 9], [0, 0, 1], 1)
    with pytest.raises(StopIteration) as stop:  # three digits: within H's reach, no subquestion
        next(task.decompose(three))
    assert stop.value.value == task.true_answer(three) == "0 0 1 1"
    four = task.question([9, 9, 9, 9], [0, 0, 0, 1], 1)
    [low] = next(task.decompose(four))
    assert low.difficulty == 2  # four digits: halved as before
    assert "h_digits=3" in repr(task)
    with pytest.raises(ValueError, match=r"h_digits must be in \[1, 6\], got 7"):
        AdditionTask(max_digits=6, eval_per_difficulty=2, n_train=5, h_digits=7)
