"""Distillation: datasets, objectives (losses), teachers and the training loop."""

from ida.distill.data import Example, read_jsonl, tokenize, write_jsonl
from ida.distill.objectives import (ObjectiveWeights, kd_loss, kd_loss_topk, on_policy_full_loss, on_policy_loss,
                                   sft_loss)
from ida.distill.teachers import amplified_prompt, teacher_checkpoint
from ida.distill.trainer import DistillationError, TrainResult, needs_teacher, train

__all__ = ["DistillationError", "Example", "ObjectiveWeights", "TrainResult", "amplified_prompt", "kd_loss",
           "kd_loss_topk", "needs_teacher", "on_policy_full_loss", "on_policy_loss", "read_jsonl", "sft_loss",
           "teacher_checkpoint", "tokenize", "train", "write_jsonl"]
