"""LoRA adapters through peft on any architecture: which modules to adapt, a check that they exist (before any
work), and wrapping a model.

Default targets: GPT-2's fused attention projection `c_attn` for GPT-2, peft's `all-linear` (every linear layer
but the output head) for any other architecture. GPT-2 stores its projections as Conv1D (weights transposed),
which peft must be told about (`fan_in_fan_out`).
"""

from __future__ import annotations

from typing import Any

from ida.config import LoraConfig

ALL_LINEAR = "all-linear"


def resolve_targets(cfg: LoraConfig, model_type: str) -> list[str] | str:
    """`lora.target_modules`, or the default for the architecture; peft takes all-linear as a plain string."""
    targets = cfg.target_modules
    if targets is None:
        return ["c_attn"] if model_type == "gpt2" else ALL_LINEAR
    return ALL_LINEAR if [t.lower() for t in targets] == [ALL_LINEAR] else list(targets)


def check_targets(model: Any, cfg: LoraConfig) -> None:
    """ValueError naming `distill.lora.target_modules` when a target matches no module of `model` (works on a
    model built on the meta device, so a 7B checkpoint costs no memory here)."""
    targets = resolve_targets(cfg, getattr(model.config, "model_type", ""))
    if isinstance(targets, str):
        return
    names = [name for name, _ in model.named_modules()]
    missing = [t for t in targets if not any(n == t or n.endswith("." + t) for n in names)]
    if missing:
        leaves = sorted({n.rsplit(".", 1)[-1] for n in names if n and not n.rsplit(".", 1)[-1].isdigit()})
        raise ValueError(f"distill.lora.target_modules: {missing} match no module of this "
                         f"{model.config.model_type} model (its module names: {', '.join(leaves[:30])})")


def add_lora(model: Any, cfg: LoraConfig) -> Any:
    """`model` wrapped by peft with fresh adapters (the base weights frozen, adapted in place)."""
    from peft import LoraConfig as PeftLoraConfig, get_peft_model

    model_type = getattr(model.config, "model_type", "")
    return get_peft_model(model, PeftLoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                                                target_modules=resolve_targets(cfg, model_type),
                                                fan_in_fan_out=model_type == "gpt2"))
