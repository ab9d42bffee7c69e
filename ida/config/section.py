"""The base of every config section: unknown keys and inf/nan floats are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_SEED = 2**30 - 1  # RunConfig.seed: its derived torch seeds (seed * 10007 * 1000003 + ...) stay below 2^64


class Section(BaseModel):
    # inf/nan floats are never a meaningful knob (`distill.lr: .inf` would only fail mid-run)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
