"""`LangChainAnswerer`: the `Answerer` protocol on any langchain-core chat model (`BaseChatModel`).

A batch goes through the model's `abatch` with `max_concurrency` (langchain's own bound) and
`return_exceptions=True`, so one failing prompt becomes a failed `Answer` and the rest of the batch goes on.
Retries are the model's business (e.g. `ChatOpenAI(max_retries=...)` or `.with_retry()`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig

from decomposition.answerer import Answer
from ida.models.openai_api import Usage

T = TypeVar("T")


class LangChainAnswerer:
    """Answers batches of prompts with a langchain-core chat model; `usage` counts the tokens models report."""

    def __init__(self, model: BaseChatModel, *, max_concurrency: int = 8, system_prompt: str | None = None,
                 version: str | None = None) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.model = model
        self.max_concurrency = max_concurrency
        self.system_prompt = system_prompt
        self.version = version or _derive_version(model, system_prompt)
        self.usage = Usage()

    def close(self) -> None:
        """Nothing to release: the chat model owns its own clients."""

    def answer(self, prompts: list[str]) -> list[Answer]:
        """One answer per prompt, in order; blocks until the whole batch is done."""
        if not prompts:
            return []
        return _run_sync(lambda: self._answer_all(prompts))

    async def _answer_all(self, prompts: list[str]) -> list[Answer]:
        inputs = [self._messages(p) for p in prompts]
        config = RunnableConfig(max_concurrency=self.max_concurrency)
        try:
            results = await self.model.abatch(inputs, config, return_exceptions=True)
        except Exception:  # noqa: BLE001
            # some models override abatch and ignore return_exceptions (langchain's FakeListChatModel does):
            # ask item by item so that one failure still fails only its own prompt
            results = await self._one_by_one(inputs, config)
        return [self._to_answer(r) for r in results]

    async def _one_by_one(self, inputs: list[list[BaseMessage]], config: RunnableConfig) -> list[Any]:
        semaphore = asyncio.Semaphore(self.max_concurrency)

        async def one(messages: list[BaseMessage]) -> Any:
            async with semaphore:
                try:
                    return await self.model.ainvoke(messages, config)
                except Exception as exc:  # noqa: BLE001 (becomes this prompt's failed Answer)
                    return exc

        return list(await asyncio.gather(*(one(m) for m in inputs)))

    def _messages(self, prompt: str) -> list[BaseMessage]:
        system = [SystemMessage(content=self.system_prompt)] if self.system_prompt else []
        return [*system, HumanMessage(content=prompt)]

    def _to_answer(self, result: Any) -> Answer:
        if isinstance(result, BaseException):
            self.usage.add(failures=1)
            return Answer(text="", error=f"{type(result).__name__}: {result}")
        self.usage.add(requests=1)
        if usage := getattr(result, "usage_metadata", None):
            self.usage.add(prompt_tokens=usage.get("input_tokens", 0) or 0,
                           completion_tokens=usage.get("output_tokens", 0) or 0)
        return Answer(text=_text(result), logprobs=_logprobs(result))


def _text(message: Any) -> str:
    """The message's text: content may be a str or a list of content blocks (text parts are joined)."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    parts = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def _logprobs(message: Any) -> tuple[float, ...] | None:
    """Per-token log-probs where the provider reports them (ChatOpenAI: response_metadata["logprobs"])."""
    logprobs = (getattr(message, "response_metadata", None) or {}).get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not content:
        return None
    try:
        return tuple(float(entry["logprob"]) for entry in content)
    except (KeyError, TypeError, ValueError):
        return None


def _derive_version(model: BaseChatModel, system_prompt: str | None) -> str:
    """Memo key from the model's class and identifying parameters (model name, temperature, ...)."""
    try:
        params = repr(sorted(model._identifying_params.items()))
    except Exception:  # noqa: BLE001 (third-party models may not implement it)
        params = repr(model)
    digest = hashlib.sha256(f"{params}|{system_prompt}".encode()).hexdigest()[:8]
    return f"langchain:{type(model).__name__}:{digest}"


def _run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop is running here: use a fresh one elsewhere
        return pool.submit(asyncio.run, make()).result()  # type: ignore[arg-type]
