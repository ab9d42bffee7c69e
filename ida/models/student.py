"""Checks of the student's config against what it names, before any work (`check_student`, called by the run's
preflight): the pretrained checkpoint and the LoRA target modules (vLLM is checked by its answerer provider).
Each failure is one line naming the field; the run dir is not created."""

from __future__ import annotations

from typing import Any

from ida.config import RunConfig


def check_student(config: RunConfig) -> None:
    model_config = None
    if config.model.pretrained is not None:
        from ida.models.pretrained import check_pretrained

        model_config = check_pretrained(config.model)
    if config.distill.lora.enabled:
        from ida.distill.lora import check_targets

        check_targets(_skeleton(config, model_config), config.distill.lora)


def _skeleton(config: RunConfig, model_config: Any) -> Any:
    """The student's module tree on the meta device (no memory, no weights read), to match LoRA targets."""
    import torch
    from transformers import AutoModelForCausalLM, GPT2Config

    m = config.model
    if model_config is None:
        model_config = GPT2Config(vocab_size=64, n_layer=m.n_layer, n_embd=m.n_embd, n_head=m.n_head,
                                  n_positions=m.n_positions)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(model_config, trust_remote_code=m.trust_remote_code)
