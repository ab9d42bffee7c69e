"""Distillation: datasets, objectives (losses), teachers and the training loop.

The names load on first use (torch with them), so `ida.distill.registry` (the objective names a config is
checked against) can be read without the model stack."""

from importlib import import_module

_LAZY = {
    "Example": "ida.distill.data", "read_jsonl": "ida.distill.data", "tokenize": "ida.distill.data",
    "write_jsonl": "ida.distill.data",
    "ObjectiveWeights": "ida.distill.objectives", "kd_loss": "ida.distill.objectives",
    "kd_loss_topk": "ida.distill.objectives", "on_policy_full_loss": "ida.distill.objectives",
    "on_policy_loss": "ida.distill.objectives", "sft_loss": "ida.distill.objectives",
    "amplified_prompt": "ida.distill.teachers", "teacher_checkpoint": "ida.distill.teachers",
    "DistillationError": "ida.distill.trainer", "TrainResult": "ida.distill.trainer",
    "needs_teacher": "ida.distill.trainer", "train": "ida.distill.trainer",
    "OBJECTIVES": "ida.distill.registry", "ObjectiveProvider": "ida.distill.registry",
    "register_objective": "ida.distill.registry", "objective_provider": "ida.distill.registry",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ida.distill' has no attribute {name!r}")


__all__ = sorted(_LAZY)
