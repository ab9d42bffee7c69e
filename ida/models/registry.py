"""The registry of answerers: one `AnswererProvider` per `amplify.answerer.kind`, chosen once when an
`Amplifier` is built. A provider builds the answerer from its config section and the run's current student, and
checks the section before any work (raising `ValueError` that names the field).

    register_answerer("mine", AnswererProvider(build=lambda cfg, student: MyAnswerer(cfg)))
    answerer = answerer_provider("openai").build(cfg.amplify.answerer, student)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ida.config import AnswererConfig
from ida.models.base import Answer, Answerer


@runtime_checkable
class ManagedAnswerer(Protocol):
    """An `Answerer` the harness can account for and release: `usage` (tokens, cost, retries since the last
    `usage.reset()`; None for a model that costs nothing to call) and `close()`."""

    version: str
    usage: Any

    def answer(self, prompts: list[str]) -> list[Answer]: ...

    def close(self) -> None: ...


def _no_check(cfg: AnswererConfig) -> None:
    """Nothing to check before the run."""


@dataclass(frozen=True)
class AnswererProvider:
    """How one kind of answerer is built and checked.

    `student`: the answerer is the run's own student M_n (not owned by the amplifier, never closed by it; the
    amplify phase's `min_confidence` filter applies to it). `engine`: the student's weights in an engine the
    amplifier starts for its phase and closes (vLLM)."""

    build: Callable[[AnswererConfig, Answerer], ManagedAnswerer]
    check: Callable[[AnswererConfig], None] = _no_check
    student: bool = False
    engine: bool = False  # the student, but in an engine the amplifier starts and must close (vLLM)


ANSWERERS: dict[str, AnswererProvider] = {}


def register_answerer(name: str, provider: AnswererProvider) -> None:
    ANSWERERS[name] = provider


def answerer_provider(name: str) -> AnswererProvider:
    if name not in ANSWERERS:
        raise ValueError(f"amplify.answerer.kind: unknown answerer {name!r}; known: {', '.join(sorted(ANSWERERS))}")
    return ANSWERERS[name]


def import_path(path: str, field: str) -> Any:
    """The object at `module:attr`, or a ValueError naming the config `field`."""
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"{field}: cannot import {path!r} ({err})") from None


def _openai(cfg: AnswererConfig, student: Answerer) -> ManagedAnswerer:
    from ida.models.openai_api import OpenAIAnswerer

    return OpenAIAnswerer(cfg.openai)


def _check_openai(cfg: AnswererConfig) -> None:
    from ida.models.openai_api import OpenAIAnswerer

    try:
        OpenAIAnswerer(cfg.openai).close()  # checks the key; opens no connection
    except ValueError as err:
        raise ValueError(f"amplify.answerer.openai: {err}") from None


def _langchain(cfg: AnswererConfig, student: Answerer) -> ManagedAnswerer:
    from langchain_core.language_models import BaseChatModel

    from ida.models.langchain import LangChainAnswerer

    field = "amplify.answerer.langchain_factory"
    model = import_path(cfg.langchain_factory or "", field)(**cfg.langchain_kwargs)
    if not isinstance(model, BaseChatModel):
        raise ValueError(f"{field}: {cfg.langchain_factory} returned {type(model).__name__}, not a langchain_core "
                         "BaseChatModel")
    return LangChainAnswerer(model, max_concurrency=cfg.langchain_max_concurrency,
                             system_prompt=cfg.langchain_system_prompt)


def _vllm(cfg: AnswererConfig, student: Answerer) -> ManagedAnswerer:
    from ida.models.vllm import VLLMAnswerer

    return VLLMAnswerer(student, cfg.vllm)


def _check_vllm(cfg: AnswererConfig) -> None:
    from ida.models.vllm import require_vllm

    require_vllm()


register_answerer("local", AnswererProvider(build=lambda cfg, student: student, student=True))  # type: ignore
register_answerer("openai", AnswererProvider(build=_openai, check=_check_openai))
register_answerer("langchain", AnswererProvider(
    build=_langchain, check=lambda cfg: import_path(cfg.langchain_factory or "", "amplify.answerer.langchain_factory")))
register_answerer("vllm", AnswererProvider(build=_vllm, check=_check_vllm, student=True, engine=True))
