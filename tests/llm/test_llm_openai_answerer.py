"""`OpenAIAnswerer` against the real local fake-OpenAI HTTP server (see fake_openai.py)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

pytest.importorskip("openai")

from fake_openai import Call, Reply  # noqa: E402

from decomposition.answerer import Answerer  # noqa: E402
from ida.models.openai_api import OpenAIAnswerer, OpenAIConfig  # noqa: E402

ANSWERS = {"capital of France?": "Paris is the capital", "2+2?": "4", "sky colour?": "blue"}


def by_prompt(call: Call) -> Reply:
    return Reply(text=ANSWERS.get(call.prompt, f"echo: {call.prompt}"))


def test_chat_answers_logprobs_and_request_options(server, make_answerer):
    server.responder = by_prompt
    answerer = make_answerer(logprobs=True, top_logprobs=2, system_prompt="Be brief.", temperature=0.7,
                             max_tokens=50, stop=["\n\n"])
    assert isinstance(answerer, Answerer)
    prompts = list(ANSWERS)
    answers = answerer.answer(prompts)
    assert [a.text for a in answers] == [ANSWERS[p] for p in prompts]
    first = answers[0]
    assert first.error is None and not first.failed
    assert first.tokens == ("Paris", " is", " the", " capital")
    assert first.logprobs == pytest.approx((-0.1, -0.2, -0.3, -0.4))
    assert first.top_logprobs[0] == (("Paris", pytest.approx(-0.1)), ("Paris~1", pytest.approx(-1.1)))
    body = server.calls[0].body
    assert body["model"] == "fake-model" and body["temperature"] == 0.7 and body["max_tokens"] == 50
    assert body["logprobs"] is True and body["top_logprobs"] == 2 and body["stop"] == ["\n\n"]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_no_logprobs_unless_asked(server, make_answerer):
    [answer] = make_answerer().answer(["2+2?"])
    assert answer.text == "echo: 2+2?" and answer.logprobs is None
    assert "logprobs" not in server.calls[0].body


def test_completions_mode(server, make_answerer):
    server.responder = lambda call: Reply(text="four, surely")
    answerer = make_answerer(mode="completions", logprobs=True, top_logprobs=3, system_prompt="Maths.")
    [answer] = answerer.answer(["2+2="])
    assert answer.text == "four, surely"
    assert answer.tokens == ("four,", " surely") and answer.logprobs == pytest.approx((-0.1, -0.2))
    assert len(answer.top_logprobs[0]) == 3
    body = server.calls[0].body
    assert server.calls[0].path == "/v1/completions"
    assert body["prompt"] == "Maths.\n\n2+2=" and body["logprobs"] == 3


def test_stop_and_max_tokens_are_applied_by_the_server(server, make_answerer):
    server.responder = lambda call: Reply(text="one two three END four")
    assert make_answerer(stop=[" END"]).answer(["x"])[0].text == "one two three"
    assert make_answerer(max_tokens=2).answer(["x"])[0].text == "one two"


def test_concurrency_never_exceeds_the_limit(server, make_answerer):
    server.latency = 0.05
    answerer = make_answerer(max_concurrency=3)
    answers = answerer.answer([f"q{i}" for i in range(20)])
    assert [a.text for a in answers] == [f"echo: q{i}" for i in range(20)]
    assert server.max_in_flight == 3  # reached, never exceeded


def test_batch_runs_concurrently(server, make_answerer):
    server.latency = 0.1
    start = time.monotonic()
    make_answerer(max_concurrency=16).answer([f"q{i}" for i in range(16)])
    assert time.monotonic() - start < 0.1 * 16 / 3  # far below the sequential 1.6 s


def test_429_with_retry_after_is_honoured_then_succeeds(server, make_answerer):
    server.script(Reply(status=429, retry_after=0.4, error="slow down"), Reply(text="done"))
    answerer = make_answerer()  # backoff_base_s=0.01: only Retry-After explains a 0.4 s wait
    start = time.monotonic()
    [answer] = answerer.answer(["x"])
    assert time.monotonic() - start >= 0.4
    assert answer.text == "done" and answer.error is None and answer.attempts == 2
    assert len(server.calls) == 2 and answerer.usage.retries == 1


def test_500s_are_retried_then_succeed(server, make_answerer):
    server.script(Reply(status=500, error="boom"), Reply(status=503, error="busy"), Reply(text="fine"))
    answerer = make_answerer(max_retries=2)
    [answer] = answerer.answer(["x"])
    assert answer.text == "fine" and answer.attempts == 3 and answerer.usage.retries == 2
    # the openai client's own retry loop made the attempts (it numbers them); before, its retries were off
    assert [c.headers["x-stainless-retry-count"] for c in server.calls] == ["0", "1", "2"]


def test_retries_stop_at_the_bound_and_only_that_prompt_fails(server, make_answerer):
    def responder(call: Call) -> Reply:
        if call.prompt == "bad":
            return Reply(status=500, error="model overloaded for bad")
        return Reply(text=f"ok {call.prompt}")

    server.responder = responder
    answerer = make_answerer(max_retries=2)
    answers = answerer.answer(["a", "bad", "c"])
    assert [a.text for a in answers] == ["ok a", "", "ok c"]
    assert answers[0].error is None and answers[2].error is None
    assert answers[1].failed and "model overloaded for bad" in answers[1].error and "500" in answers[1].error
    assert sum(c.prompt == "bad" for c in server.calls) == 3  # 1 attempt + 2 retries
    assert answerer.usage.failures == 1 and answerer.usage.retries == 2


def test_client_errors_are_not_retried(server, make_answerer):
    server.responder = lambda call: Reply(status=400, error="unknown parameter")
    [answer] = make_answerer(max_retries=3).answer(["x"])
    assert "unknown parameter" in answer.error and len(server.calls) == 1


def test_timeouts_are_retried_then_fail(server, make_answerer):
    server.responder = lambda call: Reply(text="too late", delay=2.0)
    start = time.monotonic()
    [answer] = make_answerer(timeout_s=0.2, max_retries=1).answer(["x"])
    assert answer.failed and "timed out" in answer.error
    assert len(server.calls) == 2 and time.monotonic() - start < 1.5


def test_a_timeout_then_success(server, make_answerer):
    server.script(Reply(text="too late", delay=2.0), Reply(text="in time"))
    [answer] = make_answerer(timeout_s=0.3).answer(["x"])
    assert answer.text == "in time" and answer.attempts == 2


def test_dropped_connection_is_retried(server, make_answerer):
    server.script(Reply(drop=True), Reply(text="back"))
    [answer] = make_answerer().answer(["x"])
    assert answer.text == "back" and answer.attempts == 2


def test_usage_and_cost_are_counted_and_reset(server, make_answerer):
    server.responder = lambda call: Reply(text="a b c", usage=(100, 3))
    answerer = make_answerer(prompt_cost_per_mtok=2.0, completion_cost_per_mtok=10.0)
    answerer.answer(["p1", "p2"])
    usage = answerer.usage
    assert (usage.requests, usage.prompt_tokens, usage.completion_tokens) == (2, 200, 6)
    assert usage.cost == pytest.approx((200 * 2.0 + 6 * 10.0) / 1e6)
    snapshot = usage.reset()
    assert snapshot.prompt_tokens == 200 and snapshot.cost == pytest.approx(460e-6)
    assert usage.prompt_tokens == usage.completion_tokens == usage.requests == 0 and usage.cost == 0


def test_usage_counts_words_by_default(server, make_answerer):
    server.responder = lambda call: Reply(text="x y")
    answerer = make_answerer(system_prompt="two words")
    answerer.answer(["three word prompt"])
    assert (answerer.usage.prompt_tokens, answerer.usage.completion_tokens) == (5, 2)


def test_answer_works_from_threads_and_inside_a_running_loop(server, make_answerer):
    answerer = make_answerer()
    results: dict[str, str] = {}

    def in_thread(name: str) -> None:
        results[name] = answerer.answer([name])[0].text

    threads = [threading.Thread(target=in_thread, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {f"t{i}": f"echo: t{i}" for i in range(4)}

    async def inside_loop() -> str:
        return answerer.answer(["loop"])[0].text

    assert asyncio.run(inside_loop()) == "echo: loop"


def test_close_then_answer_again(server, make_answerer):
    answerer = make_answerer()
    assert answerer.answer(["a"])[0].text == "echo: a"
    answerer.close()
    assert answerer.answer(["b"])[0].text == "echo: b"
    assert answerer.answer([]) == []


def test_env_vars_give_base_url_and_key(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    with OpenAIAnswerer(model="m") as answerer:
        assert answerer.answer(["hi"])[0].text == "echo: hi"


def test_no_key_for_openai_itself_is_an_error(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="API key"):
        OpenAIAnswerer()


def test_config_fields_are_described_and_validated():
    assert all(field.description for field in OpenAIConfig.model_fields.values())
    with pytest.raises(ValueError):
        OpenAIConfig(max_concurrency=0)
    with pytest.raises(ValueError):
        OpenAIConfig(unknown_option=1)
    assert "secret" not in repr(OpenAIConfig(api_key="secret"))


def test_version_changes_with_generation_settings(server):
    a = OpenAIAnswerer(base_url=server.url, api_key="k", temperature=0.0)
    b = OpenAIAnswerer(base_url=server.url, api_key="k", temperature=1.0)
    c = OpenAIAnswerer(base_url=server.url, api_key="k", temperature=0.0, max_concurrency=2)
    named = OpenAIAnswerer(base_url=server.url, api_key="k", version="m-cycle-3")
    assert a.version != b.version and a.version == c.version and named.version == "m-cycle-3"
    assert a.version.startswith("openai:gpt-4o-mini:")


@pytest.mark.parametrize("body, expected", [
    ({"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}}, "max_tokens is too large"),
    ({"detail": "Model fake-model is not loaded"}, "Model fake-model is not loaded"),  # FastAPI
    ({"detail": [{"loc": ["body", "max_tokens"], "msg": "must be at most 16", "type": "value_error"}]},
     "body.max_tokens: must be at most 16"),  # FastAPI's validation errors
    ({"object": "error", "message": "prompt too long", "code": 400}, "prompt too long"),  # vLLM
    ({"error": "context window exceeded"}, "context window exceeded"),  # llama.cpp-style string error
    ("upstream model crashed\n", "upstream model crashed"),  # a plain-text body
])
def test_the_servers_error_detail_is_kept(server, make_answerer, body, expected):
    server.script(Reply(status=400, body=body))
    [answer] = make_answerer().answer(["q"])
    assert answer.failed and answer.error.startswith("HTTP 400: ") and expected in answer.error, answer.error


def test_an_empty_error_body_still_names_the_status_and_a_long_one_is_cut(server, make_answerer):
    server.script(Reply(status=400, body=""), Reply(status=400, body="x" * 10_000))
    answerer = make_answerer()
    [empty] = answerer.answer(["q"])
    [long] = answerer.answer(["q2"])
    assert "HTTP 400" in empty.error
    assert long.error.startswith("HTTP 400: xxx") and len(long.error) < 600
