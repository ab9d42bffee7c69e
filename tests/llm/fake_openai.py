"""A real HTTP server on 127.0.0.1 that speaks the subset of the OpenAI API the harness uses, scripted per test.

Endpoints: POST /v1/chat/completions (messages, logprobs/top_logprobs, stop, max_tokens, usage) and
POST /v1/completions (prompt, logprobs as an int, stop, max_tokens, usage). What each request gets is a `Reply`:
first from the FIFO queue filled by `script(...)`, then from `responder(call)` (a function of the request, which
suits concurrent batches whose arrival order is not fixed). A reply can be an HTTP error (429 with Retry-After,
500, ...), can be delayed (to trigger client timeouts or to model latency), or can drop the connection.

The server counts requests in flight (`max_in_flight`) so tests can check a client's concurrency bound.
Used by `tests/llm/` (through the fixtures in conftest.py) and by `benchmarks/llm_amplify_throughput.py`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_TOKEN = re.compile(r"\s*\S+")  # fake tokenizer: each token is a word with its leading whitespace


@dataclass
class Reply:
    """What the server answers to one request. `status != 200` sends an OpenAI-style error body with `error`,
    or `body` as it is when set: a dict as JSON (e.g. FastAPI's `{"detail": ...}`), a str as plain text."""

    text: str = ""
    status: int = 200
    error: str = "fake server error"
    delay: float = 0.0  # seconds before answering, on top of the server's `latency`
    retry_after: float | None = None  # sent as the Retry-After header (seconds)
    logprobs: list[float] | None = None  # per token; default -0.1, -0.2, ... per token
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens); default: counted words
    drop: bool = False  # close the connection without any response (a connection error for the client)
    body: dict[str, Any] | list[Any] | str | None = None  # an error body other servers send, instead of OpenAI's


@dataclass
class Call:
    """One request the server received."""

    path: str
    body: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def prompt(self) -> str:
        """The user's text: the last user message (chat) or the prompt (completions)."""
        if "messages" in self.body:
            users = [m.get("content", "") for m in self.body["messages"] if m.get("role") == "user"]
            return users[-1] if users else ""
        return str(self.body.get("prompt", ""))

    @property
    def system(self) -> str | None:
        for message in self.body.get("messages", []):
            if message.get("role") == "system":
                return message.get("content")
        return None


Responder = Callable[[Call], "Reply | str"]


def echo(call: Call) -> Reply:
    """The default responder: repeats the prompt."""
    return Reply(text=f"echo: {call.prompt}")


class FakeOpenAI:
    """The server; use as a context manager or call `start()` / `stop()`. `url` is the client's base_url."""

    def __init__(self, responder: Responder = echo, latency: float = 0.0, model: str = "fake-model") -> None:
        self.responder = responder
        self.latency = latency
        self.model = model
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ------------------------------------------------------------------------------------------

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next requests, in arrival order (before `responder` is consulted)."""
        with self._lock:
            self._queue.extend(r if isinstance(r, Reply) else Reply(text=r) for r in replies)

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.max_in_flight = self.in_flight

    # -- lifecycle ------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)  # port 0: the OS picks a free port
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay so shutdown does not wait for them
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) -----------------------------------------------------

    def _begin(self, call: Call) -> Reply:
        with self._lock:
            self.calls.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            queued = self._queue.popleft() if self._queue else None
        reply = queued if queued is not None else self.responder(call)
        return reply if isinstance(reply, Reply) else Reply(text=str(reply))

    def _end(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops SYNs under a burst of concurrent connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are expected; keep test output clean


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # headers and body go out in two writes: Nagle + delayed ACK would add 40 ms

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return self._send(400, _error_body("request body is not JSON", 400))
        path = self.path.rstrip("/")
        if path not in ("/v1/chat/completions", "/v1/completions"):
            return self._send(404, _error_body(f"no route {self.path}", 404))
        call = Call(path, body, headers={k.lower(): v for k, v in self.headers.items()})
        reply = fake._begin(call)
        try:
            fake._sleep(fake.latency + reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.close()
                return
            if reply.status != 200:
                headers = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
                payload = _error_body(reply.error, reply.status) if reply.body is None else reply.body
                return self._send(reply.status, payload, headers)
            self._send(200, _completion(call, reply, fake.model))
        except OSError:
            pass  # the client gave up (timeout) and closed the socket
        finally:
            fake._end()

    def _send(self, status: int, payload: dict[str, Any] | list[Any] | str,
              headers: dict[str, str] | None = None) -> None:
        plain = isinstance(payload, str)
        data = payload.encode() if plain else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if plain else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _error_body(message: str, status: int) -> dict[str, Any]:
    kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _completion(call: Call, reply: Reply, model: str) -> dict[str, Any]:
    """An OpenAI-shaped response body for `reply`, honouring the request's stop, max_tokens and logprobs."""
    text, finish = _truncate(reply.text, call.body)
    tokens = _TOKEN.findall(text)
    logprobs = reply.logprobs if reply.logprobs is not None else [-0.1 * (i + 1) for i in range(len(tokens))]
    prompt_tokens = len(" ".join(m.get("content", "") for m in call.body.get("messages", [])).split()) \
        if "messages" in call.body else len(call.prompt.split())
    usage = reply.usage or (prompt_tokens, len(tokens))
    chat = call.path.endswith("chat/completions")
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
    if chat:
        choice["message"] = {"role": "assistant", "content": text}
        if call.body.get("logprobs"):
            choice["logprobs"] = _chat_logprobs(tokens, logprobs, int(call.body.get("top_logprobs") or 0))
    else:
        choice["text"] = text
        if call.body.get("logprobs") is not None:
            choice["logprobs"] = _completion_logprobs(tokens, logprobs, int(call.body["logprobs"]))
    return {
        "id": f"fake-{id(call)}", "object": "chat.completion" if chat else "text_completion",
        "created": int(time.time()), "model": call.body.get("model", model), "choices": [choice],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def _truncate(text: str, body: dict[str, Any]) -> tuple[str, str]:
    stops = body.get("stop") or []
    for stop in [stops] if isinstance(stops, str) else stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
            return text, "stop"
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    tokens = _TOKEN.findall(text)
    if limit is not None and len(tokens) > limit:
        return "".join(tokens[:limit]), "length"
    return text, "stop"


def _alternatives(token: str, logprob: float, k: int) -> list[tuple[str, float]]:
    """k top alternatives: the sampled token first, then made-up ones with lower log-probs."""
    return [(token, logprob)] + [(f"{token}~{j}", logprob - j) for j in range(1, k)] if k else []


def _chat_logprobs(tokens: list[str], logprobs: list[float], k: int) -> dict[str, Any]:
    entry = lambda t, lp: {"token": t, "logprob": lp, "bytes": list(t.encode())}  # noqa: E731
    return {"content": [{**entry(t, lp), "top_logprobs": [entry(a, b) for a, b in _alternatives(t, lp, k)]}
                        for t, lp in zip(tokens, logprobs)], "refusal": None}


def _completion_logprobs(tokens: list[str], logprobs: list[float], k: int) -> dict[str, Any]:
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    return {"tokens": tokens, "token_logprobs": list(logprobs[: len(tokens)]), "text_offset": offsets,
            "top_logprobs": [dict(_alternatives(t, lp, k)) for t, lp in zip(tokens, logprobs)] if k else None}
