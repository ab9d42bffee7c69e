"""`OpenAIAnswerer`: the `Answerer` protocol on any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, ...).

`answer()` is synchronous, as the protocol wants, but the requests of a batch run concurrently on an asyncio loop
that the answerer owns in a background thread: that works from any thread, with or without a running loop of its
own, and keeps HTTP connections alive between batches. Concurrency is bounded by `max_concurrency`. Retries are
the openai client's own (`max_retries`, `timeout_s` per attempt): 408, 409, 429, 5xx, timeouts and dropped
connections, with exponential backoff and jitter, honouring Retry-After; `backoff_base_s` and `max_backoff_s`
scale and cap its waits. Each answer counts its attempts (the client's `retries_taken`, or the retry number it
sent with the last attempt). A prompt that still fails gets `Answer(text="", error=<the server's message>)`;
the rest of the batch goes on.

`openai` is imported lazily (it is the `llm` extra), so `Usage` and `OpenAIConfig` import without it.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from decomposition.answerer import Answer
from ida.config import OpenAIConfig

@dataclass
class Usage:
    """Token usage and cost since the last `reset()` (call it at the start of each cycle)."""

    prompt_cost_per_mtok: float = 0.0
    completion_cost_per_mtok: float = 0.0
    requests: int = 0  # HTTP attempts that got a successful response
    retries: int = 0  # attempts beyond the first
    failures: int = 0  # prompts that failed after all their attempts
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def cost(self) -> float:
        """US$ at the configured prices."""
        return (self.prompt_tokens * self.prompt_cost_per_mtok
                + self.completion_tokens * self.completion_cost_per_mtok) / 1e6

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def reset(self) -> Usage:
        """Zero the counters; returns a snapshot of what they were."""
        with self._lock:
            snapshot = replace(self, _lock=threading.Lock())
            self.requests = self.retries = self.failures = self.prompt_tokens = self.completion_tokens = 0
        return snapshot


@dataclass(frozen=True)
class OpenAIAnswer(Answer):
    """An `Answer` with the sampled tokens, their top alternatives ((token, logprob) pairs) and the attempts."""

    tokens: tuple[str, ...] | None = None
    top_logprobs: tuple[tuple[tuple[str, float], ...], ...] | None = None
    attempts: int = 1


class OpenAIAnswerer:
    """Answers batches of prompts through an OpenAI-compatible API (see the module docstring)."""

    def __init__(self, config: OpenAIConfig | None = None, **overrides: Any) -> None:
        base = config.model_dump() if config is not None else {}
        self.config = OpenAIConfig.model_validate({**base, **overrides})
        cfg = self.config
        self.usage = Usage(cfg.prompt_cost_per_mtok, cfg.completion_cost_per_mtok)
        self.base_url = cfg.base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = cfg.api_key.get_secret_value() if cfg.api_key else os.environ.get("OPENAI_API_KEY")
        self._api_key = key or ("EMPTY" if self.base_url else None)
        if self._api_key is None:
            raise ValueError("OpenAIAnswerer needs an API key: set api_key or OPENAI_API_KEY")
        self.version = cfg.version or self._derive_version()
        self._loop_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._semaphore: asyncio.Semaphore | None = None

    def _derive_version(self) -> str:
        """Memo key: the same prompt under other generation settings or another server may answer differently."""
        cfg = self.config
        settings = repr((self.base_url, cfg.mode, cfg.system_prompt, cfg.temperature, cfg.max_tokens, cfg.stop))
        return f"openai:{cfg.model}:{hashlib.sha256(settings.encode()).hexdigest()[:8]}"

    # -- the Answerer protocol ------------------------------------------------------------------------------

    def answer(self, prompts: list[str]) -> list[Answer]:
        """One answer per prompt, in order; blocks until the whole batch is done."""
        if not prompts:
            return []
        if threading.current_thread() is self._thread:
            raise RuntimeError("OpenAIAnswerer.answer() called from its own event loop thread")
        future: Future[list[Answer]] = asyncio.run_coroutine_threadsafe(self._answer_all(prompts), self._ensure_loop())
        return future.result()

    def close(self) -> None:
        """Close the HTTP client and stop the loop thread; a later `answer()` starts them again."""
        with self._loop_lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is not None and thread is not None:
            _shutdown(loop, thread, self._client)
        self._client = self._semaphore = None

    def __enter__(self) -> OpenAIAnswerer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the loop -------------------------------------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._loop_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="openai-answerer", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                # stop the thread when the answerer is garbage-collected without close()
                weakref.finalize(self, _shutdown, loop, thread, None)
            return self._loop

    def _ensure_client(self) -> Any:
        """Created on the loop thread: httpx's async client belongs to the loop it first runs on."""
        if self._client is None:
            cfg = self.config
            self._client = _client_class(cfg.backoff_base_s, cfg.max_backoff_s)(
                api_key=self._api_key, base_url=self.base_url, timeout=cfg.timeout_s, max_retries=cfg.max_retries)
            self._semaphore = asyncio.Semaphore(cfg.max_concurrency)
        return self._client

    async def _answer_all(self, prompts: list[str]) -> list[Answer]:
        self._ensure_client()
        return list(await asyncio.gather(*(self._answer_one(p) for p in prompts)))

    # -- one prompt: the client retries; we count --------------------------------------------------------------

    async def _answer_one(self, prompt: str) -> Answer:
        assert self._semaphore is not None
        try:
            async with self._semaphore:  # held through the client's retries: at most max_concurrency prompts
                raw = await self._request(prompt)
                response = raw.parse()
        except Exception as exc:  # noqa: BLE001 (any failure must stay confined to this prompt)
            attempts = _attempts(exc)
            self.usage.add(failures=1, retries=attempts - 1)
            return OpenAIAnswer(text="", error=f"{_describe(exc)} (after {attempts} attempts)", attempts=attempts)
        self.usage.add(requests=1, retries=raw.retries_taken)
        return self._parse(response, raw.retries_taken + 1)

    async def _request(self, prompt: str) -> Any:
        cfg, client = self.config, self._client
        common: dict[str, Any] = {"model": cfg.model, "temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
        if cfg.stop:
            common["stop"] = cfg.stop
        if cfg.mode == "chat":
            messages = [{"role": "system", "content": cfg.system_prompt}] if cfg.system_prompt else []
            messages.append({"role": "user", "content": prompt})
            if cfg.logprobs:
                common["logprobs"] = True
                if cfg.top_logprobs:
                    common["top_logprobs"] = cfg.top_logprobs
            return await client.chat.completions.with_raw_response.create(messages=messages, **common)
        if cfg.logprobs:
            common["logprobs"] = cfg.top_logprobs
        text = f"{cfg.system_prompt}\n\n{prompt}" if cfg.system_prompt else prompt
        return await client.completions.with_raw_response.create(prompt=text, **common)

    def _parse(self, response: Any, attempts: int) -> Answer:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage.add(prompt_tokens=usage.prompt_tokens or 0, completion_tokens=usage.completion_tokens or 0)
        choice = response.choices[0]
        if self.config.mode == "chat":
            text = choice.message.content or ""
            tokens, logprobs, top = _chat_logprobs(choice.logprobs)
        else:
            text = choice.text or ""
            tokens, logprobs, top = _completion_logprobs(choice.logprobs)
        return OpenAIAnswer(text=text, logprobs=logprobs, tokens=tokens, top_logprobs=top, attempts=attempts)


# -- helpers ----------------------------------------------------------------------------------------------------


def _shutdown(loop: asyncio.AbstractEventLoop, thread: threading.Thread, client: Any) -> None:
    if loop.is_closed():
        return
    if client is not None and loop.is_running():
        try:
            asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout=5)
        except Exception:  # noqa: BLE001 (best effort: the process may be exiting)
            pass
    loop.call_soon_threadsafe(loop.stop)
    if thread is not threading.current_thread():
        thread.join(timeout=5)
        loop.close()


def _chat_logprobs(lp: Any) -> tuple[Any, Any, Any]:
    if lp is None or not getattr(lp, "content", None):
        return None, None, None
    tokens = tuple(c.token for c in lp.content)
    logprobs = tuple(float(c.logprob) for c in lp.content)
    top = tuple(tuple((t.token, float(t.logprob)) for t in (c.top_logprobs or ())) for c in lp.content)
    return tokens, logprobs, top if any(top) else None


def _completion_logprobs(lp: Any) -> tuple[Any, Any, Any]:
    if lp is None or not getattr(lp, "token_logprobs", None):
        return None, None, None
    tokens = tuple(lp.tokens or ())
    logprobs = tuple(float(x) if x is not None else 0.0 for x in lp.token_logprobs)
    top = tuple(tuple((k, float(v)) for k, v in (d or {}).items()) for d in lp.top_logprobs) \
        if lp.top_logprobs else None
    return tokens or None, logprobs, top


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def _attempts(exc: BaseException) -> int:
    """How many attempts the client made before giving up: its last request carries the retry number."""
    request = getattr(exc, "request", None)
    try:
        return int(request.headers.get("x-stainless-retry-count", "0")) + 1 if request is not None else 1
    except (AttributeError, RuntimeError, ValueError):  # RuntimeError: an error raised before any request
        return 1


@functools.cache
def _client_class(base_s: float, cap_s: float) -> type:
    """The openai client, its backoff scaled so that the first wait is about `base_s` (the client's is 0.5 s) and
    no wait, Retry-After included, exceeds `cap_s`; which errors are retried, and when, stays the client's."""
    import openai
    from openai._constants import INITIAL_RETRY_DELAY

    class Client(openai.AsyncOpenAI):
        def _calculate_retry_timeout(self, remaining_retries, options, response_headers=None) -> float:
            wait = super()._calculate_retry_timeout(remaining_retries, options, response_headers)
            if wait != self._parse_retry_after_header(response_headers):  # the client's own backoff
                wait *= base_s / INITIAL_RETRY_DELAY
            return min(wait, cap_s)

    return Client


def _describe(exc: BaseException) -> str:
    """The server's own message where there is one (see `_server_message`), else the exception's."""
    message = _server_message(getattr(exc, "body", None))
    message = message or getattr(exc, "message", None) or str(exc) or type(exc).__name__
    status = _status(exc)
    if isinstance(exc, TimeoutError) or type(exc).__name__ == "APITimeoutError":
        message = "request timed out"
    return f"HTTP {status}: {message}" if status is not None else f"{type(exc).__name__}: {message}"


_MAX_MESSAGE = 500  # characters of a server's error kept per answer (an HTML error page can be long)


def _server_message(body: Any) -> str | None:
    """What a server said in an error body (the openai client has already unwrapped OpenAI's `error` object):
    OpenAI's `message`, FastAPI's `detail` (a string, or its list of validation errors as `loc: msg`), or a
    plain-text body; None when the body says nothing."""
    if isinstance(body, dict):
        found = body.get("message") or body.get("detail") or body.get("error")
    else:
        found = body
    if isinstance(found, list):  # FastAPI's 422: [{"loc": [...], "msg": "...", "type": "..."}, ...]
        found = "; ".join(_validation_error(e) for e in found)
    elif isinstance(found, dict):
        found = found.get("message") or found.get("msg") or json.dumps(found)
    if not isinstance(found, str) or not found.strip():
        return None
    text = " ".join(found.split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


def _validation_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(part) for part in error.get("loc") or ())
    message = str(error.get("msg") or error)
    return f"{where}: {message}" if where else message
