"""Fixtures for the LLM tests: a real fake-OpenAI HTTP server on a free local port, and answerers pointed at it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # so tests can `import fake_openai` under any import mode

from fake_openai import FakeOpenAI  # noqa: E402


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def make_answerer(server: FakeOpenAI) -> Iterator[Callable[..., Any]]:
    """Factory of `OpenAIAnswerer`s on `server`, with short backoffs so retry tests stay fast; closed after."""
    pytest.importorskip("openai")
    from ida.models.openai_api import OpenAIAnswerer

    made: list[OpenAIAnswerer] = []

    def make(**overrides: Any) -> OpenAIAnswerer:
        settings = {"base_url": server.url, "api_key": "test-key", "model": "fake-model",
                    "backoff_base_s": 0.01, "max_backoff_s": 2.0, "timeout_s": 5.0, **overrides}
        made.append(OpenAIAnswerer(**settings))
        return made[-1]

    yield make
    for answerer in made:
        answerer.close()
