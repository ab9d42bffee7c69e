"""The tiny runs the tests use, in one place: `--set` overrides of a permutation run small enough for seconds on
a CPU, and the tiny student's `ModelConfig`.

    from tests.tiny import tiny, tiny_model
    TINY = tiny("distill.steps=5", "max_cycles=1")          # + the tiny task and student
    TINY = tiny("max_cycles=1", embd=64, items=16)
"""

from __future__ import annotations

from ida.config import ModelConfig


def tiny(*more: str, items: int = 8, max_k: int = 4, embd: int = 32) -> list[str]:
    """A permutation task of `items` items (powers up to `max_k`) and a 1-layer student of width `embd`, plus
    `more` overrides."""
    return [f"task.params={{n_items: {items}, max_k: {max_k}}}", "model.n_layer=1", f"model.n_embd={embd}",
            "model.n_head=2", *more]


def tiny_model(positions: int = 32, **fields: object) -> ModelConfig:
    """The tiny student for model and trainer unit tests."""
    return ModelConfig(**{"n_layer": 1, "n_embd": 32, "n_head": 2, "n_positions": positions,
                          "max_answer_tokens": 3, **fields})
