"""Checks of the student's config against what it names, before any work (`check_student`, called by the run's
preflight): the pretrained checkpoint; `student_skeleton` lets the preflight match LoRA targets against the
student's modules without loading weights (vLLM is checked by its answerer provider).
Each failure is one line naming the field; the run dir is not created."""

from __future__ import annotations

from typing import Any

from ida.config import RunConfig


def check_student(config: RunConfig) -> Any:
    """The pretrained checkpoint's model config (None for the tiny built-in student), checked."""
    if config.model.pretrained is None:
        return None
    from ida.models.pretrained import check_pretrained

    return check_pretrained(config.model)


def student_skeleton(config: RunConfig, model_config: Any) -> Any:
    """The student's module tree on the meta device (no memory, no weights read), to match LoRA targets."""
    import torch
    from transformers import AutoModelForCausalLM, GPT2Config

    m = config.model
    if model_config is None:
        model_config = GPT2Config(vocab_size=64, n_layer=m.n_layer, n_embd=m.n_embd, n_head=m.n_head,
                                  n_positions=m.n_positions)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(model_config, trust_remote_code=m.trust_remote_code)
