"""`PlanDecomposer` / `direct_program` programs: driven by hand (exact yields and node ids) and through the
`Executor` with an `OpenAIAnswerer` on the fake server (plans walked, invalid plans retried, then fallback)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("openai")

from fake_openai import Call, Reply  # noqa: E402

from decomposition.planning import PlanDecomposer, Subquestion, direct_program  # noqa: E402
from decomposition.executor import Executor  # noqa: E402
from decomposition.prompts import ANSWER_MARKER, PLAN_MARKER, RECOMPOSE_MARKER, RETRY_MARKER  # noqa: E402

Q = "What is (2 + 3) * 4?"
GOOD_PLAN = json.dumps({"subquestions": [
    {"id": 1, "text": "What is 2 + 3?", "depends_on": []},
    {"id": 2, "text": "What is 4?", "depends_on": []},
    {"id": 3, "text": "What is #1 times #2?", "depends_on": [1, 2]},
]})
FACTS = {"What is 2 + 3?": "5", "What is 4?": "4", "What is 5 times 4?": "20", Q: "direct 20"}


def question_in(prompt: str) -> str:
    """The question a plan / answer / recompose prompt is about."""
    return re.search(r"Question: (.*?)\n", prompt + "\n").group(1)


def model(plans: list[str] | dict[str, list[str]]) -> Callable[[str], str]:
    """A scripted model: plan replies in order (per question if a dict), facts for answers, recomposition
    answers the last subanswer."""
    seen: dict[str, int] = {}

    def reply(prompt: str) -> str:
        if PLAN_MARKER in prompt:
            q = question_in(prompt)
            script = plans[q] if isinstance(plans, dict) else plans
            seen[q] = seen.get(q, 0) + 1
            return script[min(seen[q], len(script)) - 1]
        if RECOMPOSE_MARKER in prompt:
            return "final " + re.findall(r"   Answer: (.*)", prompt)[-1]
        assert ANSWER_MARKER in prompt
        return FACTS.get(question_in(prompt), "unknown")

    return reply


def drive(program, reply: Callable[[str], str]) -> tuple[str, list[list]]:
    """Run a program by hand; returns its answer and every batch it yielded."""
    batches, answers = [], None
    try:
        while True:
            batch = next(program) if answers is None else program.send(answers)
            batches.append(batch)
            answers = [reply(item if isinstance(item, str) else item.prompt) for item in batch]
    except StopIteration as stop:
        return stop.value, batches


def test_valid_plan_is_walked_in_waves_with_node_ids():
    answer, batches = drive(PlanDecomposer().program(Q), model([GOOD_PLAN]))
    assert answer == "final 20"
    plan_batch, wave1, wave2, recompose = batches
    assert len(plan_batch) == 1 and isinstance(plan_batch[0], str) and PLAN_MARKER in plan_batch[0]  # node 1
    assert [(s.text, s.depends_on) for s in wave1] == [("What is 2 + 3?", (1,)), ("What is 4?", (1,))]  # 2, 3
    assert [(s.text, s.depends_on) for s in wave2] == [("What is 5 times 4?", (2, 3))]  # node 4, #N filled
    [final] = recompose
    assert final.kind == "recompose" and final.depends_on == (2, 3, 4)
    assert "1. What is 2 + 3?\n   Answer: 5" in final.prompt and "3. What is 5 times 4?\n   Answer: 20" in final.prompt


def test_empty_plan_answers_directly_without_a_failure():
    decomposer = PlanDecomposer()
    answer, batches = drive(decomposer.program(Q), model(['{"subquestions": []}']))
    assert answer == "direct 20" and batches[1][0].kind == "direct" and decomposer.failures == []


INVALID = {
    "bad JSON": ('{"subquestions": [{"id": 1,', "not valid JSON"),
    "cycle": (json.dumps({"subquestions": [{"id": 1, "text": "a #2", "depends_on": [2]},
                                           {"id": 2, "text": "b #1", "depends_on": [1]}]}), "not an earlier"),
    "forward reference": (json.dumps({"subquestions": [{"id": 1, "text": "a #2"}, {"id": 2, "text": "b"}]}),
                          "not an earlier"),
    "too many": (json.dumps({"subquestions": [{"id": i, "text": f"q{i}"} for i in range(1, 10)]}),
                 "more than the allowed 8"),
    "self-repeat": (json.dumps({"subquestions": [{"id": 1, "text": "what is (2+3)*4"}]}), "repeats the question"),
    "too deep": (json.dumps({"subquestions": [{"id": i, "text": f"s{i} #{i - 1}" if i > 1 else "s1"}
                                              for i in range(1, 6)]}), "more than the allowed 4"),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_plan_is_retried_with_the_error_then_falls_back(case):
    bad, reason = INVALID[case]
    decomposer, failures = PlanDecomposer(), []
    answer, batches = drive(decomposer.program(Q, failures=failures), model([bad, bad]))
    first, retry, direct = (b[0] for b in batches)
    assert PLAN_MARKER in first and RETRY_MARKER not in first
    assert RETRY_MARKER in retry and reason in retry and bad in retry  # the model sees its reply and why
    assert direct == Subquestion(Q, direct.prompt, (), kind="direct") and ANSWER_MARKER in direct.prompt
    assert answer == "direct 20"
    assert len(decomposer.failures) == 1 and decomposer.failures == failures
    assert decomposer.failures[0][0] == Q and reason in decomposer.failures[0][1]


def test_invalid_then_valid_plan_is_walked_and_ids_count_both_plan_nodes():
    decomposer = PlanDecomposer()
    answer, batches = drive(decomposer.program(Q), model(["not json", GOOD_PLAN]))
    assert answer == "final 20" and decomposer.failures == []
    assert [s.depends_on for s in batches[2]] == [(2,), (2,)]  # plan nodes 1 and 2; subquestions 3, 4
    assert batches[3][0].depends_on == (3, 4) and batches[4][0].depends_on == (3, 4, 5)


def test_retries_zero_falls_back_at_once_and_more_retries_ask_more():
    answer, batches = drive(PlanDecomposer(retries=0).program(Q), model(["nope"]))
    assert len(batches) == 2 and answer == "direct 20"
    _, batches = drive(PlanDecomposer(retries=3).program(Q), model(["nope"]))
    assert len(batches) == 5


def test_direct_decomposer():
    answer, batches = drive(direct_program(Q), model([]))
    assert answer == "direct 20" and [b[0].kind for b in batches] == ["direct"]


def test_constructor_checks_limits():
    with pytest.raises(ValueError):
        PlanDecomposer(max_subquestions=0)


# -- through the Executor, against the fake server ------------------------------------------------------------


def serve(plans) -> Callable[[Call], Reply]:
    reply = model(plans)
    return lambda call: Reply(text=reply(call.prompt))


def test_programs_run_through_the_executor_on_the_fake_server(server, make_answerer):
    q2 = "What is 4 + 4?"
    server.responder = serve({Q: [GOOD_PLAN], q2: [json.dumps({"subquestions": [
        {"id": 1, "text": "What is 4?"}, {"id": 2, "text": "What is #1 plus #1?"}]})]})
    FACTS["What is 4 plus 4?"] = "8"
    decomposer = PlanDecomposer(max_subquestions=4)
    executor = Executor(make_answerer(max_concurrency=4))
    one, two = executor.run([Q, q2], [decomposer.program(Q), decomposer.program(q2)])
    assert one.ok and one.answer == "final 20" and two.ok and two.answer == "final 8"
    graph = one.graph
    assert [graph.node(n)["text"] for n in (2, 3, 4)] == ["What is 2 + 3?", "What is 4?", "What is 5 times 4?"]
    assert graph.dependencies(4) == [2, 3] and graph.dependencies(5) == [2, 3, 4] and graph.dependencies(2) == [1]
    assert executor.stats.memo_hits == 1  # "What is 4?" is shared by both plans
    assert decomposer.failures == []


def test_fallback_through_the_executor(server, make_answerer):
    server.responder = serve(["{oops", "still { not json"])
    decomposer = PlanDecomposer(make_answerer())
    [execution] = decomposer.run([Q])
    assert execution.ok and execution.answer == "direct 20"
    assert [execution.graph.node(n)["status"] for n in (1, 2, 3)] == ["answered"] * 3
    assert decomposer.failures and "not valid JSON" in decomposer.failures[0][1]


def test_failed_subquestion_fails_only_its_graph(server, make_answerer):
    def responder(call: Call) -> Reply:
        if "What is 4?" in call.prompt and ANSWER_MARKER in call.prompt:
            return Reply(status=500, error="overloaded")
        return serve([GOOD_PLAN])(call)

    server.responder = responder
    executions = Executor(make_answerer(max_retries=0)).run(["What is 2 + 3?"], [direct_program("What is 2 + 3?")])
    assert executions[0].answer == "5"
    [failed] = PlanDecomposer(make_answerer(max_retries=0)).run([Q])
    assert not failed.ok and "overloaded" in failed.error
