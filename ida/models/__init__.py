"""Answerers: local transformers models and, with the `llm` extra, OpenAI-compatible and LangChain ones.

Heavy modules (torch, openai, langchain) load on first use, so importing one answerer does not pay for all."""

from importlib import import_module

from ida.models.base import Answer, Answerer

_LAZY = {
    "LocalModel": "ida.models.local", "content_hash": "ida.models.local", "build_tokenizer": "ida.models.tokenizer",
    "Generation": "ida.models.generation",
    "OpenAIAnswerer": "ida.models.openai_api", "OpenAIConfig": "ida.config", "Usage": "ida.models.openai_api",
    "LangChainAnswerer": "ida.models.langchain",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ida.models' has no attribute {name!r}")


__all__ = ["Answer", "Answerer", *_LAZY]
