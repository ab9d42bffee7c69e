"""`make_task`, `TASKS`, `drive`, the helpers of base.py, and parameter validation of the built-in tasks."""

from __future__ import annotations

import pytest

from ida.tasks import (TASKS, UNKNOWN, AssignmentsTask, PermutationTask, Question, ShortestPathTask, Task,
                       UnionFindTask, WildcardTask, ask, drive, make_task, parse_int)

EXPECTED = {"permutation": PermutationTask, "assignments": AssignmentsTask, "wildcard": WildcardTask,
            "shortest_path": ShortestPathTask, "union_find": UnionFindTask}


def test_tasks_registry_names_the_five_builtin_tasks():
    assert TASKS == EXPECTED
    for name, cls in TASKS.items():
        for form in ("weights", "context"):
            task = make_task(name, form=form, n_train=3, eval_per_difficulty=1)
            assert isinstance(task, cls) and isinstance(task, Task)
            assert task.name == name and task.form == form and UNKNOWN == "?"


def test_make_task_rejects_unknown_names_listing_the_valid_ones():
    with pytest.raises(ValueError) as error:
        make_task("chess")
    assert "chess" in str(error.value) and all(name in str(error.value) for name in TASKS)


def test_make_task_rejects_unknown_parameters():
    with pytest.raises(ValueError, match="n_itemz"):
        make_task("permutation", n_itemz=3)


_COMMON_BAD = [{"form": "both"}, {"form": None}, {"seed": "0"}, {"seed": 1.5}, {"seed": True},
               {"eval_per_difficulty": 0}, {"n_train": 0}, {"n_train": -5}]
_BAD = {
    "permutation": [{"n_items": 1}, {"n_items": 0}, {"max_k": 0}, {"n_items": "8"}, {"max_k": 2.0}],
    "assignments": [{"n_values": 1}, {"vars_per_level": 0}, {"max_depth": 0}, {"max_depth": -1}],
    "wildcard": [{"length": 0}, {"length": 9}, {"length": None, "form": "x"}],
    "shortest_path": [{"n_nodes": 1}, {"extra_edges": -1}, {"n_nodes": 4, "extra_edges": 9}, {"max_dist": 0},
                      {"n_nodes": 4, "max_dist": 4}],
    "union_find": [{"n_elements": 3, "max_depth": 3}, {"max_depth": 0}, {"n_values": 1}],
}


@pytest.mark.parametrize("name,params", [(n, p) for n in TASKS for p in _COMMON_BAD + _BAD[n]])
def test_invalid_parameters_raise_value_error_naming_them(name, params):
    with pytest.raises(ValueError) as error:
        make_task(name, **params)
    assert any(key in str(error.value) for key in params)


def test_split_names_are_checked():
    with pytest.raises(ValueError, match="split"):
        make_task("permutation").questions("test")  # type: ignore[arg-type]


def test_context_splits_that_cannot_be_filled_raise_value_error():
    # length 1: 8 worlds (2 values x 2 fact orders for each of 2 strings) of 3 questions each
    with pytest.raises(ValueError, match="eval_per_difficulty"):
        make_task("wildcard", form="context", length=1, eval_per_difficulty=16).questions("eval")
    with pytest.raises(ValueError, match="n_train"):
        make_task("wildcard", form="context", length=1, eval_per_difficulty=1, n_train=1000).questions("train")


def _toy(n: int):
    """An H that asks n questions one batch after another and adds up the answers."""
    total = 0
    for i in range(n):
        answers = yield from ask([Question(f"q{i}", f"q {i}", 0, "toy")])
        if answers is None:
            return UNKNOWN
        total += parse_int(answers[0], -100, 100) or 0
    return str(total)


def test_drive_runs_a_program_to_completion():
    assert drive(_toy(0), lambda qs: []) == "0"
    batches = []
    assert drive(_toy(3), lambda qs: batches.append(qs) or ["2"]) == "6"
    assert [b[0].text for b in batches] == ["q 0", "q 1", "q 2"]


def test_drive_rejects_answer_lists_of_the_wrong_length():
    with pytest.raises(ValueError, match="answers"):
        drive(_toy(1), lambda qs: ["1", "2"])


def test_ask_turns_malformed_answers_into_none():
    program = _toy(1)
    next(program)
    with pytest.raises(StopIteration) as stop:
        program.send(None)
    assert stop.value.value == UNKNOWN


@pytest.mark.parametrize("text,expected", [("7", 7), (" 7 ", 7), ("-3", -3), ("07", 7), ("11", None), ("1.0", None),
                                           ("", None), ("1_0", None), ("٣", None), ("9" * 5000, None), (None, None)])
def test_parse_int(text, expected):
    assert parse_int(text, -5, 10) == expected
