"""The plan parser is linear time on any reply (a model's reply is untrusted text), rejects characters that are no
text, and its repeat check is not fooled by look-alike spellings of the question."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("langchain_core")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from decomposition.planning import Plan, PlanError, parse_plan  # noqa: E402
from decomposition.plan_text import bad_character, fenced_blocks, normalise  # noqa: E402

QUESTION = "What is (2 + 3) * 4?"
BOUND_S = 0.050


def seconds(text: str, question: str = QUESTION) -> float:
    """Best of three timings of one parse (a hang is in every timing; a scheduler hiccup on a shared CPU is not)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        try:
            parse_plan(text, question)
        except PlanError:
            pass
        best = min(best, time.perf_counter() - start)
        if best < BOUND_S:
            break
    return best


@pytest.mark.parametrize("text", [
    "```" + " " * 100_000,  # took 46.7 s with 3000 spaces under the old regex
    "```json" + " \t" * 50_000 + "\n",
    "```" + " " * 50_000 + "json" + " " * 50_000,
    "```" * 33_334,
    "```a```" * 14_286,
    "``` {" * 20_000,
    "{" * 100_000 + "}",
    '{"subquestions": [' * 20_000,
    '{"subquestions": [{"id": 1, "text": "' + "#1" * 50_000 + '"}]}',
    '{"subquestions": [{"id": 1, "text": "' + "Ｗ" * 100_000 + '"}]}',
])
def test_pathological_replies_parse_in_under_50_ms(text):
    assert seconds(text) < BOUND_S


def test_fence_scanner_matches_the_old_pattern_on_ordinary_replies():
    body = '{"subquestions": []}'
    assert fenced_blocks(f"x ```json\n{body}\n``` y") == [f"{body}\n"]
    assert fenced_blocks(f"```JSON  \t\n{body}```") == [body]
    assert fenced_blocks(f"```{body}``` and ```\nsecond``` ```never closed") == [body, "second"]
    assert fenced_blocks("``````") == [""] and fenced_blocks("no fences") == [] and fenced_blocks("``` open") == []
    assert fenced_blocks("```a``` ```b``` ```c```", limit=2) == ["a", "b"]
    assert [s.id for s in parse_plan(f"```json\n{json.dumps({'subquestions': [{'id': 1, 'text': 'a'}]})}\n```",
                                     QUESTION).subquestions] == [1]


@pytest.mark.parametrize("raw, reason", [
    ('"a\\u0000b"', "NUL character at position 1"),
    ('"a\\ud800b"', "lone surrogate (U+D800) at position 1"),
    ('"\\udc00"', "lone surrogate (U+DC00)"),
])
def test_nul_and_lone_surrogates_in_a_subquestion_are_rejected(raw, reason):
    text = '{"subquestions": [{"id": 1, "text": ' + raw + '}]}'
    with pytest.raises(PlanError, match="subquestion 1") as err:
        parse_plan(text, QUESTION)
    assert reason in str(err.value)


def test_a_surrogate_pair_is_one_character_and_accepted():
    plan = parse_plan('{"subquestions": [{"id": 1, "text": "smile \\ud83d\\ude00"}]}', QUESTION)
    assert plan.subquestions[0].text == "smile \U0001F600" and bad_character("smile \U0001F600") is None


@pytest.mark.parametrize("lookalike", [
    "Ｗｈａｔ ｉｓ (２ + ３) * ４?",  # fullwidth letters and digits (NFKC)
    "𝐖𝐡𝐚𝐭 𝐢𝐬 (2 + 3) * 4?",  # mathematical bold (NFKC)
    "Ⓦⓗⓐⓣ is (2 + 3) * 4?",  # circled letters (NFKC)
    "What iſ (2 + 3) * 4?",  # long s (NFKC)
    "WHAT IS (2 + 3) * 4?",  # case
    "Wh\u200bat is (2 + 3) * 4?",  # a zero-width space inside a word
    "Wh\u00adat is (2 + 3) * 4?",  # a soft hyphen
    "Whát is (2 + 3) * 4?",  # a combining acute accent
    "Whаt is (2 + 3) * 4?",  # Cyrillic a (not folded by NFKC: the look-alike table)
    "WНАТ ΙЅ (2 + 3) * 4?",  # Cyrillic and Greek capitals
])
def test_look_alike_spellings_of_the_question_are_repeats(lookalike):
    assert lookalike != QUESTION
    with pytest.raises(PlanError, match="repeats the question"):
        parse_plan(json.dumps({"subquestions": [{"id": 1, "text": lookalike}]}), QUESTION)


def test_ligatures_fold_and_different_questions_stay_different():
    assert normalise("How do I ﬁnd the ﬂow?") == normalise("how do i find the flow")  # ligatures (NFKC)
    assert normalise("Straße") == normalise("STRASSE")  # full case folding
    assert normalise("What is (2 + 3) * 5?") != normalise(QUESTION)
    assert normalise("Что такое 2 + 3?") != normalise("What is 2 + 3?")
    parse_plan(json.dumps({"subquestions": [{"id": 1, "text": "What is 2 + 3?"}]}), QUESTION)


# -- fuzz: replies built from the pieces that make regexes and JSON parsers slow ------------------------------

pieces = st.sampled_from(["```", "`", "json", "JSON", " ", "\t", "\n", "{", "}", "[", "]", '"', ":", ",", "#",
                          "1", "\\", "\\u0000", "\\ud800", '"subquestions"', '"id"', '"text"', "Ｗ", "\u200b"])
runs = st.tuples(pieces, st.integers(1, 4_000)).map(lambda p: p[0] * p[1])
replies = st.lists(runs | pieces | st.text(max_size=50), max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(replies)
def test_fuzzed_replies_only_raise_plan_error_and_never_hang(text):
    took = seconds(text)
    assert took < BOUND_S, f"{took * 1000:.1f} ms on a reply of {len(text)} chars"
    try:
        plan = parse_plan(text, QUESTION)
    except PlanError as exc:
        assert str(exc)
        return
    assert isinstance(plan, Plan)
    assert all(bad_character(sq.text) is None for sq in plan.subquestions)
