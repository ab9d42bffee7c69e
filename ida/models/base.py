"""The `Answerer` protocol and `Answer`, re-exported from `decomposition` (which must not import `ida`)."""

from decomposition.answerer import Answer, Answerer

__all__ = ["Answer", "Answerer"]
