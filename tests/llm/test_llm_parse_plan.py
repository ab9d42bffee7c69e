"""`parse_plan`: valid plans parse; anything invalid raises `PlanError` (and only that), with a readable reason."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_core")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from decomposition.planning import Plan, PlanError, fill_references, parse_plan  # noqa: E402

QUESTION = "What is (2 + 3) * 4?"


def plan(*subquestions: dict) -> str:
    return json.dumps({"subquestions": list(subquestions)})


def sq(id, text, depends_on=()):  # noqa: A002 (the plan's own key)
    return {"id": id, "text": text, "depends_on": list(depends_on)}


def test_valid_plan_with_references_and_waves():
    text = plan(sq(1, "What is 2 + 3?"), sq(2, "What is 4?"), sq(3, "What is #1 times #2?"), sq(4, "Check #3", [1]))
    parsed = parse_plan(text, QUESTION)
    assert isinstance(parsed, Plan) and parsed.question == QUESTION
    assert [s.depends_on for s in parsed.subquestions] == [(), (), (1, 2), (1, 3)]  # #N references count
    assert [[s.id for s in wave] for wave in parsed.waves()] == [[1, 2], [3], [4]]


def test_fenced_json_prose_around_and_any_order_of_ids():
    body = plan(sq(2, "b #1", [1]), sq(1, "a"))
    for text in (f"Here you go:\n```json\n{body}\n```\nDone.", f"```\n{body}\n```", f"Sure! {body} Hope it helps."):
        assert [s.id for s in parse_plan(text, QUESTION).subquestions] == [1, 2]


def test_empty_plan_means_answer_directly():
    assert parse_plan('{"subquestions": []}', QUESTION).subquestions == ()


def test_depends_on_may_be_omitted_or_null():
    text = json.dumps({"subquestions": [{"id": 1, "text": "a"}, {"id": 2, "text": "b", "depends_on": None}]})
    assert [s.depends_on for s in parse_plan(text, QUESTION).subquestions] == [(), ()]


@pytest.mark.parametrize("text, reason", [
    ("", "not valid JSON"),
    ("{'subquestions': []}", "not valid JSON"),
    ('{"subquestions": [', "not valid JSON"),
    ("[" * 50_000, "not valid JSON"),
    ("[]", '"subquestions" list'),
    ('{"plan": []}', '"subquestions" list'),
    ('{"subquestions": {"id": 1}}', "must be a list"),
    ('{"subquestions": ["a"]}', "must be an object"),
    (plan({"id": "1", "text": "a"}), 'integer "id"'),
    (plan({"id": True, "text": "a"}), 'integer "id"'),
    (plan({"id": 1, "text": "  "}), 'non-empty "text"'),
    (plan({"id": 1, "text": "a", "depends_on": "2"}), "list of integer ids"),
    (plan(sq(1, "a"), sq(1, "b")), "id 1 is used twice"),
    (plan(sq(1, "a"), sq(3, "b")), "1, 2, ..., 2"),
    (plan(sq(1, "a", [2]), sq(2, "b", [1])), "not an earlier subquestion"),  # a cycle
    (plan(sq(1, "a"), sq(2, "uses #3"), sq(3, "c")), "not an earlier subquestion"),  # a forward reference
    (plan(sq(1, "a #1")), "depends on itself"),
    (plan(sq(1, "a", [0])), "does not exist"),
    (plan(sq(1, "a #99999999999999999999")), "does not exist"),
    (plan(*(sq(i, f"q{i}") for i in range(1, 10))), "more than the allowed 8"),
    (plan(sq(1, "what is (2+3) * 4")), "repeats the question"),
    (plan(sq(1, "a"), sq(2, "  WHAT IS (2 + 3) * 4 ?? ")), "repeats the question"),
    (plan(*(sq(i, f"step {i}", [i - 1] if i > 1 else []) for i in range(1, 6))), "5 steps, more than the allowed 4"),
])
def test_invalid_plans_raise_plan_error_with_a_reason(text, reason):
    with pytest.raises(PlanError, match=None) as info:
        parse_plan(text, QUESTION, max_subquestions=8, max_depth=4)
    assert reason in str(info.value)
    assert isinstance(info.value, ValueError)


def test_limits_are_parameters():
    chain = plan(*(sq(i, f"step {i}", [i - 1] if i > 1 else []) for i in range(1, 6)))
    assert len(parse_plan(chain, QUESTION, max_depth=5).waves()) == 5
    with pytest.raises(PlanError, match="more than the allowed 4"):
        parse_plan(chain, QUESTION, max_subquestions=4, max_depth=5)


def test_fill_references():
    assert fill_references("#1 plus #2, not #3 or #12", {1: " 5 ", 2: "4", 12: "x"}) == "5 plus 4, not #3 or x"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
# near-miss plans reach the deeper checks: ids, references, depth, repeats
entry = st.fixed_dictionaries(
    {"id": st.integers(-2, 10) | json_values, "text": st.sampled_from(["a", "#1", "b #2 #3", QUESTION, ""])
     | json_values},
    optional={"depends_on": st.lists(st.integers(-1, 10), max_size=4) | json_values},
)
near_plans = st.fixed_dictionaries({"subquestions": st.lists(entry, max_size=10)})


def _only_plan_errors(text: str) -> None:
    try:
        result = parse_plan(text, QUESTION, max_subquestions=6, max_depth=3)
    except PlanError as exc:
        assert str(exc)
        return
    assert isinstance(result, Plan) and len(result.subquestions) <= 6 and len(result.waves()) <= 3


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_only_raises_plan_error(text):
    _only_plan_errors(text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(json_values | near_plans, st.sampled_from(["{}", "```json\n{}\n```", "Plan: {} ok"]))
def test_random_json_only_raises_plan_error(value, wrapper):
    _only_plan_errors(wrapper.replace("{}", json.dumps(value)))
