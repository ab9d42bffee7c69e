"""`LangChainAnswerer` on langchain-core's own fake chat models."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import (  # noqa: E402
    FakeListChatModel,
    GenericFakeChatModel,
    ParrotFakeChatModel,
)
from langchain_core.messages import AIMessage  # noqa: E402

from decomposition.answerer import Answerer  # noqa: E402
from ida.models.langchain import LangChainAnswerer  # noqa: E402


class Gauge:
    """Counts calls in flight across the threads langchain runs sync models on."""

    def __init__(self) -> None:
        self.lock, self.now, self.peak = threading.Lock(), 0, 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


GAUGE = Gauge()


class SlowParrot(ParrotFakeChatModel):
    """Echoes the prompt after a pause, counting concurrent calls; raises on prompts containing "boom"."""

    def _generate(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        prompt = messages[-1].content
        with GAUGE:
            time.sleep(0.02)
        if "boom" in prompt:
            raise ValueError(f"model exploded on {prompt!r}")
        return super()._generate([AIMessage(content=f"re: {prompt}")], *args, **kwargs)


class ExplodingList(FakeListChatModel):
    """langchain's list model (whose abatch ignores return_exceptions), raising on prompts containing "boom"."""

    def _call(self, messages: list[Any], *args: Any, **kwargs: Any) -> str:
        if "boom" in messages[-1].content:
            raise ValueError("list model exploded")
        return super()._call(messages, *args, **kwargs)


def test_answers_in_order_from_a_fake_list_model():
    answerer = LangChainAnswerer(FakeListChatModel(responses=["one", "two", "three"]), max_concurrency=1)
    assert isinstance(answerer, Answerer)
    answers = answerer.answer(["a", "b", "c"])
    assert [a.text for a in answers] == ["one", "two", "three"] and all(a.error is None for a in answers)
    assert answerer.answer([]) == []


class Recorder(ParrotFakeChatModel):
    """Repeats the last message and keeps the message types of every call."""

    seen: list = []

    def _generate(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        self.seen.append([m.type for m in messages])
        return super()._generate(messages, *args, **kwargs)


def test_system_prompt_goes_first():
    model = Recorder()
    answerer = LangChainAnswerer(model, system_prompt="be brief")
    [answer] = answerer.answer(["hello"])
    assert answer.text == "hello"  # the parrot repeats the last message: the user's prompt comes last
    assert model.seen == [["system", "human"]]


def test_failures_stay_per_item_and_concurrency_is_bounded():
    GAUGE.peak = 0
    answerer = LangChainAnswerer(SlowParrot(), max_concurrency=3)
    prompts = [f"q{i}" for i in range(10)] + ["boom now"]
    answers = answerer.answer(prompts)
    assert [a.text for a in answers[:10]] == [f"re: q{i}" for i in range(10)]
    assert answers[10].failed and "model exploded on 'boom now'" in answers[10].error
    assert answers[10].text == ""
    assert 1 < GAUGE.peak <= 3
    assert answerer.usage.failures == 1 and answerer.usage.requests == 10


def test_failures_stay_per_item_when_abatch_ignores_return_exceptions():
    answers = LangChainAnswerer(ExplodingList(responses=["fine"]), max_concurrency=2).answer(["a", "boom", "c"])
    assert [a.text for a in answers] == ["fine", "", "fine"]
    assert answers[1].error == "ValueError: list model exploded"


def test_a_model_that_always_raises():
    answerer = LangChainAnswerer(GenericFakeChatModel(messages=iter([])))  # exhausted: every call raises
    answers = answerer.answer(["a", "b"])
    assert all(a.failed and a.text == "" for a in answers)


def test_usage_and_logprobs_from_the_message():
    message = AIMessage(content=[{"type": "text", "text": "4"}, {"type": "text", "text": "2"}],
                        usage_metadata={"input_tokens": 7, "output_tokens": 2, "total_tokens": 9},
                        response_metadata={"logprobs": {"content": [{"token": "4", "logprob": -0.5},
                                                                    {"token": "2", "logprob": -0.25}]}})
    answerer = LangChainAnswerer(GenericFakeChatModel(messages=iter([message])))
    [answer] = answerer.answer(["6*7?"])
    assert answer.text == "42" and answer.logprobs == (-0.5, -0.25)
    assert (answerer.usage.prompt_tokens, answerer.usage.completion_tokens) == (7, 2)


def test_works_inside_a_running_event_loop_and_versions_differ():
    answerer = LangChainAnswerer(ParrotFakeChatModel())

    async def inside() -> str:
        return answerer.answer(["in a loop"])[0].text

    assert asyncio.run(inside()) == "in a loop"
    assert answerer.version.startswith("langchain:ParrotFakeChatModel:")
    assert LangChainAnswerer(ParrotFakeChatModel(), system_prompt="x").version != answerer.version
    assert LangChainAnswerer(ParrotFakeChatModel(), version="v7").version == "v7"
    with pytest.raises(ValueError):
        LangChainAnswerer(ParrotFakeChatModel(), max_concurrency=0)
