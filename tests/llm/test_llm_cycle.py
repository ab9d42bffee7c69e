"""A whole IDA run amplified by an LLM behind the fake OpenAI server (and by a LangChain fake model): valid and
invalid plans, 500s and 429s; the cycle completes with what succeeded, failures and usage recorded per cycle."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_openai import Call, FakeOpenAI, Reply  # noqa: E402

from decomposition.prompts import ANSWER_MARKER, PLAN_MARKER, RECOMPOSE_MARKER  # noqa: E402
from ida.amplify.amplifier import Amplifier  # noqa: E402
from ida.amplify.examples import amplify  # noqa: E402
from ida.config import load_config  # noqa: E402
from ida.cycle import execute
from ida.run import open_run, start_run  # noqa: E402
from ida.progress import RunProgress  # noqa: E402

TINY = ["model.n_layer=1", "model.n_embd=32", "model.n_head=2", "model.n_positions=64", "distill.steps=5",
        "distill.batch_size=8", "eval.baseline=false"]
ROWS = [
    {"id": "plan", "question": "What is 1 plus 2 plus 3 ?"},          # valid plan: 2 subquestions + recompose
    {"id": "simple", "question": "What is 4 plus 5 ?"},               # empty plan: answered directly
    {"id": "badplan", "question": "What is 7 plus 7 plus 7 ?"},       # invalid plan twice: direct + failure
    {"id": "down", "question": "What is 13 plus 1 plus 1 ?"},         # a subquestion always gets 500: fails
    {"id": "busy", "question": "What is 2 plus 2 plus 2 ?"},          # 429 with Retry-After, then fine
    *({"id": f"ref{i}", "question": f"What is {i} plus {i + 1} ?", "answer": str(2 * i + 1)} for i in range(4)),
]


class SumsLLM:
    """Scripted model: plans sums as (a + b) then (#1 + rest), answers sums, recomposes with the last answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.ok = 0

    def __call__(self, call: Call) -> Reply:
        prompt = call.prompt
        with self.lock:
            self.attempts[prompt] += 1
            first = self.attempts[prompt] == 1
        reply = self._reply(prompt, first)
        if reply.status == 200:
            with self.lock:
                self.ok += 1
        return reply

    def _reply(self, prompt: str, first: bool) -> Reply:
        if PLAN_MARKER in prompt:
            question = re.search(r"Question: ([^\n]*)", prompt).group(1)
            xs = re.findall(r"\d+", question)
            if xs == ["7", "7", "7"]:
                return Reply("here is my plan: [1, 2", usage=(10, 1))
            if len(xs) <= 2:
                return Reply('{"subquestions": []}', usage=(10, 1))
            plan = [{"id": 1, "text": f"What is {xs[0]} plus {xs[1]} ?"},
                    {"id": 2, "text": "What is #1 plus " + " plus ".join(xs[2:]) + " ?", "depends_on": [1]}]
            return Reply(json.dumps({"subquestions": plan}), usage=(10, 1))
        if RECOMPOSE_MARKER in prompt:
            return Reply(re.findall(r"Answer: ([^\n]*)", prompt)[-1], usage=(10, 1))
        assert ANSWER_MARKER in prompt, prompt
        question = re.search(r"Question: ([^\n]*)", prompt).group(1)
        if question == "What is 13 plus 1 ?":
            return Reply(status=500, error="model shard down")
        if question == "What is 2 plus 2 ?" and first:
            return Reply(status=429, error="slow down", retry_after=0.01)
        return Reply(str(sum(int(x) for x in re.findall(r"\d+", question))), usage=(10, 1))


def qa_config(tmp_path, url, extra=()):
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return load_config(None, TINY + [
        "task.name=qa", f"task.params={{path: {path}, checker: numeric, eval_fraction: 0.5}}",
        "amplify.answerer.kind=openai", f"amplify.answerer.openai.base_url={url}",
        "amplify.answerer.openai.model=fake-model", "amplify.answerer.openai.max_retries=1",
        "amplify.answerer.openai.backoff_base_s=0.01", "amplify.answerer.openai.timeout_s=10",
        "amplify.answerer.openai.prompt_cost_per_mtok=1000000", "amplify.decomposer=llm", *extra])


def test_llm_cycle_completes_with_failures_and_usage_recorded_per_cycle(tmp_path):
    llm = SumsLLM()
    with FakeOpenAI(responder=llm) as server:
        run = start_run(qa_config(tmp_path, server.url, ["max_cycles=2"]), tmp_path / "runs", RunProgress(quiet=True))
        execute(run)
    assert run.records.run_row()["status"] == "finished"
    amp = run.store.phase_result(run.id, 1, "amplify")
    answers = {r.question_id: r.answer for r in run.store.examples(run.id, 1)}
    assert answers["plan"] == "6" and answers["simple"] == "9" and answers["busy"] == "6"
    assert answers["badplan"] == "21"  # answered directly after the rejected plans
    assert answers["down"] is None and amp["failed"] == 1 and "model shard down" in amp["failure_reasons"]["down"]
    assert amp["decomposer_failures"] == 1 and "not valid JSON" in amp["decomposer_failure_reasons"]["badplan"][0]
    assert amp["targets_right"] == 2  # the two referenced train questions (the others have no reference)
    graph = next(r.graph for r in run.store.examples(run.id, 1) if r.question_id == "plan")
    assert [n["text"] for n in graph["nodes"][2:4]] == ["What is 1 plus 2 ?", "What is 3 plus 3 ?"]
    events = run.store.events(run.id)
    kinds = Counter(e["kind"] for e in events)
    assert kinds["decomposer_failure"] >= 2 and kinds["amplify_failure"] == 2  # one per cycle each
    assert {e["payload"]["question_id"] for e in events if e["kind"] == "amplify_failure"} == {"down"}
    # usage is counted per cycle (reset between), every successful request in exactly one phase
    usage = run.store.metrics(run.id, "usage")
    u1, u2 = usage[1]["usage"], usage[2]["usage"]
    assert u1["requests"] == u2["requests"] > 0 and u1["prompt_tokens"] == 10 * u1["requests"]
    assert u1["cost"] == pytest.approx(10 * u1["requests"]) and u1["failures"] == u2["failures"] == 1
    assert u1["retries"] == 2 and u2["retries"] == 1  # 429 once (cycle 1) + one retry of the 500 per cycle
    eval_usage = [run.store.phase_result(run.id, c, "evaluate")["usage"]["requests"] for c in (1, 2)]
    assert u1["requests"] + u2["requests"] + sum(eval_usage) == llm.ok
    student = run.store.metrics(run.id, "amplified")
    assert student[1]["amplified"] and all(v == 1.0 for v in student[1]["amplified"].values())  # Amp(LLM) is right
    assert (run.dir / "cycle-2" / "checkpoint" / "model.safetensors").exists()
    assert "api_key: null" in (run.dir / "config.yaml").read_text()  # keys stay in the environment


def test_resume_after_the_amplify_phase_keeps_events_once(tmp_path):
    with FakeOpenAI(responder=SumsLLM()) as server:
        run = start_run(qa_config(tmp_path, server.url, ["max_cycles=1"]), tmp_path / "runs", RunProgress(quiet=True))
        from ida.cycle import amplify_phase

        amplify_phase(run, 1)
        resumed = open_run(run.dir, RunProgress(quiet=True))
        execute(resumed)
    kinds = Counter(e["kind"] for e in resumed.store.events(run.id))
    assert kinds["amplify_failure"] == 1 and resumed.records.run_row()["status"] == "finished"


def test_recursive_depth_plans_subquestions_again(tmp_path):
    with FakeOpenAI(responder=SumsLLM()) as server:
        config = qa_config(tmp_path, server.url, ["amplify.depth=2"])
        from ida.run import build_task

        task = build_task(config)
        q = next(q for q in task.questions("train") if q.id == "plan")
        with Amplifier(config.amplify, task, student=None) as amp:
            [example] = amplify(task, [q], amp.answerer, config.amplify, programs=amp.programs([q]))
    assert example.answer == "6"
    texts = [example.graph.node(n)["text"] for n in example.graph.nx if n]
    plans = [t for t in texts if PLAN_MARKER in t]
    assert len(plans) == 3  # the question's plan, then one per subquestion (each planned empty: answered directly)


def test_langchain_answerer_from_a_factory_runs_a_cycle(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    config = load_config(None, TINY + [
        "task.name=qa", f"task.params={{path: {path}, eval_fraction: 0.5}}", "max_cycles=1",
        "amplify.answerer.kind=langchain", "amplify.decomposer=direct",
        "amplify.answerer.langchain_factory=langchain_core.language_models.fake_chat_models:FakeListChatModel",
        "amplify.answerer.langchain_kwargs={responses: ['7']}"])
    run = start_run(config, tmp_path / "runs", RunProgress(quiet=True))
    execute(run)
    amp = run.store.phase_result(run.id, 1, "amplify")
    assert {r.answer for r in run.store.examples(run.id, 1)} == {"7"}
    assert amp["overseer"].startswith("H:direct:langchain:") and amp["usage"]["requests"] == amp["examples"]
    assert run.records.run_row()["status"] == "finished"
