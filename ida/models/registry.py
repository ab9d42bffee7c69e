"""The registry of answerers: one `AnswererProvider` per `amplify.answerer.kind`, chosen once when an
`Amplifier` is built. A provider builds the answerer from its config section and the run's current student, and
checks the section before any work (raising `ValueError` that names the field).

    register_answerer("mine", AnswererProvider(build=lambda cfg, student: MyAnswerer(cfg)))
    answerer = answerer_provider("openai").build(cfg.amplify.answerer, student)

`amplify.answerer.kind` may also name an `ida.answerers` entry point or an import path `module:attr` (see
`ida.plugins`): an `AnswererProvider`, or a class / callable built with `amplify.answerer.params` as keyword
arguments that gives an object with `answer(prompts) -> list[Answer]` (`version`, `usage` and `close()` are
optional: the class name, None and nothing to release by default).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ida.config import AnswererConfig
from ida.models.base import Answer, Answerer
from ida.plugins import PluginError, Registry, import_object, require_callable, require_methods


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
FIELD = "amplify.answerer.kind"


def adapt_answerer(obj: Any, where: str) -> AnswererProvider:
    """An `AnswererProvider` as it is; a class or factory wrapped into one (its answerers checked when built)."""
    if isinstance(obj, AnswererProvider):
        return obj
    if inspect.isclass(obj):
        require_methods(obj, ["answer"], FIELD, "answerer class")
    require_callable(obj, where, "the answerer")
    return AnswererProvider(build=lambda cfg, student: managed(obj(**cfg.params), where))


def managed(answerer: Any, where: str) -> ManagedAnswerer:
    """`answerer` with the optional parts of `ManagedAnswerer` filled in (version, usage, close)."""
    require_methods(answerer, ["answer"], FIELD, "answerer")
    for attr, default in (("version", type(answerer).__name__), ("usage", None)):
        if not hasattr(answerer, attr):
            setattr(answerer, attr, default)
    if not callable(getattr(answerer, "close", None)):
        answerer.close = lambda: None
    return answerer


ANSWERER_REGISTRY: Registry[AnswererProvider] = Registry("answerer", FIELD, "ida.answerers", entries=ANSWERERS,
                                                         adapt=adapt_answerer)


def register_answerer(name: str, provider: AnswererProvider | Any) -> None:
    """Make `provider` (an `AnswererProvider`, or an answerer class / factory) known as `amplify.answerer.kind`."""
    ANSWERER_REGISTRY.register(name, adapt_answerer(provider, f"answerer {name!r}"))


def answerer_provider(name: str) -> AnswererProvider:
    """The provider of `name`: registered, an `ida.answerers` entry point, or `module:attr` (PluginError else)."""
    return ANSWERER_REGISTRY.get(name)


def import_path(path: str, field: str) -> Any:
    """The object at `module:attr`, or a ValueError naming the config `field`."""
    if ":" not in path:
        raise PluginError(f"{field}: {path!r} is not of the form module:attr")
    return import_object(path, field)


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
