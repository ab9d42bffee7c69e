"""Properties every built-in task has, in both forms, over random seeds and small sizes (hypothesis)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Generator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ida.tasks import TASKS, UNKNOWN, Question, drive, make_task
from ida.tasks.world_task import WorldTask

NAMES = sorted(TASKS)
FORMS = ("weights", "context")
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sizes(name: str, form: str) -> st.SearchStrategy[dict]:
    """Small task sizes; in-context ones large enough to give a dozen distinct questions."""
    ctx = form == "context"
    if name == "permutation":
        return st.fixed_dictionaries({"n_items": st.integers(3 if ctx else 2, 8), "max_k": st.integers(1, 6)})
    if name == "assignments":
        return st.fixed_dictionaries({"n_values": st.integers(2, 4), "vars_per_level": st.integers(2 if ctx else 1, 3),
                                      "max_depth": st.integers(1, 4)})
    if name == "wildcard":
        return st.fixed_dictionaries({"length": st.integers(2, 3) if ctx else st.integers(1, 4)})
    if name == "shortest_path":
        if ctx:
            return st.integers(5, 7).flatmap(lambda n: st.fixed_dictionaries(
                {"n_nodes": st.just(n), "extra_edges": st.integers(0, n // 2), "max_dist": st.integers(1, 3)}))
        return st.integers(2, 7).flatmap(lambda n: st.fixed_dictionaries(
            {"n_nodes": st.just(n), "extra_edges": st.integers(0, n * (n - 2))}))
    assert name == "union_find"
    return st.integers(1, 4).flatmap(lambda depth: st.fixed_dictionaries(
        {"max_depth": st.just(depth), "n_elements": st.integers(depth + 2, 12), "n_values": st.integers(2, 4)}))


def _params(name: str, form: str) -> st.SearchStrategy[dict]:
    common = st.fixed_dictionaries({"form": st.just(form), "seed": st.integers(0, 10**6),
                                    "eval_per_difficulty": st.integers(1, 3), "n_train": st.integers(1, 12)})
    return st.tuples(common, _sizes(name, form)).map(lambda p: {**p[0], **p[1]})


def _tasks(name: str, form: str) -> st.SearchStrategy[WorldTask]:
    return _params(name, form).map(lambda params: make_task(name, **params))


def _all_questions(task: WorldTask) -> list[Question]:
    return task.questions("train") + task.questions("eval")


def _oracle(task: WorldTask, seen: list[tuple[Question, Question]], parent: Question) -> Callable:
    def answer(batch: list[Question]) -> list[str]:
        seen.extend((parent, sub) for sub in batch)
        return [task.true_answer(sub) for sub in batch]
    return answer


def _check_tokens(task: WorldTask, *texts: str) -> None:
    vocab = set(task.vocabulary())
    for text in texts:
        assert set(text.split()) <= vocab, f"tokens outside the vocabulary: {set(text.split()) - vocab} in {text!r}"


def _check_answer(task: WorldTask, answer: object) -> None:
    assert isinstance(answer, str) and len(answer.split()) == 1 and answer == answer.strip(), repr(answer)
    _check_tokens(task, answer)


_parametrize = pytest.mark.parametrize("name,form", [(name, form) for name in NAMES for form in FORMS])


@_parametrize
@SETTINGS
@given(data=st.data())
def test_h_fed_true_subanswers_gives_the_true_answer(name, form, data):
    task = data.draw(_tasks(name, form))
    for q in _all_questions(task):
        truth = task.true_answer(q)
        _check_answer(task, truth)
        assert drive(task.decompose(q), lambda qs: [task.true_answer(x) for x in qs]) == truth, q


@_parametrize
@SETTINGS
@given(data=st.data())
def test_h_alone_recursively_gives_the_true_answer(name, form, data):
    task = data.draw(_tasks(name, form))

    memo: dict[str, str] = {}

    def solve(q: Question) -> str:
        if q.id not in memo:
            memo[q.id] = drive(task.decompose(q), lambda qs: [solve(x) for x in qs])
        return memo[q.id]

    for q in task.questions("eval"):
        assert solve(q) == task.true_answer(q), q


@_parametrize
@SETTINGS
@given(data=st.data())
def test_subquestions_are_easier_questions_of_the_same_task_and_world(name, form, data):
    task = data.draw(_tasks(name, form))
    space = {q.id: q for q in task.questions("train")}
    for q in _all_questions(task):
        seen: list[tuple[Question, Question]] = []
        drive(task.decompose(q), _oracle(task, seen, q))
        for parent, sub in seen:
            assert isinstance(sub, Question) and sub.task == task.name and sub.context == parent.context
            assert sub.difficulty < parent.difficulty, (parent, sub)
            assert sub.difficulty in task.difficulties()
            _check_tokens(task, sub.prompt, task.true_answer(sub))
            if form == "weights":  # the in-weights train split is the whole space: subquestions are in it
                assert space.get(sub.id) == sub, sub


_GARBAGE = ["", " ", "?", "yes", "no", "maybe", "1.5", "-0", "+3", "1e3", "9" * 40, "٣", "v", "v-1", "v99999",
            "a b", "\n", "NaN", "None", "*", "sum", "perm", "dist"]


def _garbage(rng: random.Random, vocab: list[str], n: int) -> list[object]:
    if rng.random() < 0.05:  # a malformed batch: wrong length or not a list
        return rng.choice([[], ["1"] * (n + 1), None, "1"])  # type: ignore[return-value]
    out: list[object] = []
    for _ in range(n):
        r = rng.random()
        out.append(rng.choice(vocab) if r < 0.4 else str(rng.randint(-300, 300)) if r < 0.7
                   else rng.choice(_GARBAGE) if r < 0.95 else rng.choice([None, 3, b"1", ["1"]]))
    return out


def _run_raw(task: WorldTask, program: Generator, answer: Callable) -> object:
    """Like `drive`, without checking the answers, asserting what H yields is fine and that it stops."""
    try:
        batch = next(program)
        for _ in range(500):
            assert batch and all(isinstance(q, Question) and q.task == task.name for q in batch)
            for q in batch:
                _check_tokens(task, q.prompt)
            batch = program.send(answer(batch))
        raise AssertionError("H did not stop")
    except StopIteration as stop:
        return stop.value


@_parametrize
@SETTINGS
@given(data=st.data(), garbage_seed=st.integers(0, 2**32))
def test_h_fed_garbage_never_raises_and_answers_a_vocabulary_token(name, form, data, garbage_seed):
    task = data.draw(_tasks(name, form))
    rng = random.Random(garbage_seed)
    vocab = task.vocabulary()
    for q in _all_questions(task):
        answer = _run_raw(task, task.decompose(q), lambda batch: _garbage(rng, vocab, len(batch)))
        _check_answer(task, answer)


@_parametrize
@SETTINGS
@given(data=st.data())
def test_vocabulary_covers_every_prompt_and_answer(name, form, data):
    task = data.draw(_tasks(name, form))
    vocab = task.vocabulary()
    assert UNKNOWN in vocab and {"|", ";", "="} <= set(vocab) and len(vocab) == len(set(vocab))
    for q in _all_questions(task):
        _check_tokens(task, q.prompt, task.true_answer(q))
        assert q.prompt.endswith(" =") and (form == "weights") == (not q.context)


@_parametrize
@SETTINGS
@given(data=st.data())
def test_splits_sizes_difficulties_and_ids(name, form, data):
    task = data.draw(_tasks(name, form))
    train, evals = task.questions("train"), task.questions("eval")
    assert task.difficulties() == sorted(set(task.difficulties()))
    assert {q.difficulty for q in train + evals} <= set(task.difficulties())
    for split in (train, evals):
        assert len({q.id for q in split}) == len(split)
    by_id = {}
    for q in train + evals:  # one id per distinct question, one question per id
        assert by_id.setdefault(q.id, q) == q
    assert len({(q.text, q.context) for q in by_id.values()}) == len(by_id)
    sizes = Counter(q.difficulty for q in evals)
    if form == "weights":
        ids = {q.id for q in train}
        assert {q.id for q in evals} <= ids
        eligible = Counter(q.difficulty for q in train if name != "shortest_path" or q.text.startswith("dist "))
        assert sizes == {d: min(task.eval_per_difficulty, n) for d, n in eligible.items()}
    else:
        assert len(train) == task.n_train
        assert not {q.id for q in train} & {q.id for q in evals}
        assert sizes == {d: task.eval_per_difficulty for d in task.eval_difficulties()}
    assert task.questions("train") == train and task.questions("eval") == evals  # fixed


@_parametrize
@SETTINGS
@given(data=st.data())
def test_same_arguments_give_identical_questions_and_answers(name, form, data):
    params = data.draw(_params(name, form))
    task, twin = make_task(name, **params), make_task(name, **params)
    for split in ("train", "eval"):
        assert twin.questions(split) == task.questions(split)
        answers = [task.true_answer(q) for q in task.questions(split)]
        assert [twin.true_answer(q) for q in twin.questions(split)] == answers


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_give_different_worlds(name, form):
    tasks = [make_task(name, form=form, seed=seed, n_train=50) for seed in range(4)]
    if form == "weights":
        worlds = [tuple(t.true_answer(q) for q in t.questions("train")) for t in tasks]
    else:
        worlds = [tuple(q.context for q in t.questions("eval")) for t in tasks]
    assert len(set(worlds)) == len(worlds)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_small(name):
    weights = make_task(name)
    assert 50 <= len(weights.questions("train")) <= 1000
    assert max(len(q.prompt.split()) for q in weights.questions("train")) <= 10
    context = make_task(name, form="context", n_train=200)
    questions = context.questions("train") + context.questions("eval")
    assert max(len(" ; ".join(q.context).split()) for q in questions) <= 80


@pytest.mark.parametrize("name", NAMES)
def test_decompose_and_true_answer_reject_foreign_questions(name):
    task = make_task(name)
    q = task.questions("train")[0]
    for bad in (Question("x", q.text, q.difficulty, "other"), Question("x", "nonsense 1 2", 0, name),
                Question("x", q.text, q.difficulty, name, ("1 > 2",))):
        with pytest.raises(ValueError):
            task.true_answer(bad)
        with pytest.raises(ValueError):
            task.decompose(bad)
    context = make_task(name, form="context", n_train=5)
    cq = context.questions("eval")[0]
    for bad_context in ((), ("garbage fact",), ("1 > 1",), cq.context + cq.context[:1]):
        with pytest.raises(ValueError):
            context.true_answer(Question("x", cq.text, cq.difficulty, name, bad_context))
