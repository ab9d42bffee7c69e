"""Distillation: datasets, objectives (losses) and the training loop."""

from ida.distill.data import Example, read_jsonl, tokenize, write_jsonl
from ida.distill.objectives import ObjectiveWeights, kd_loss, kd_loss_topk, on_policy_loss, sft_loss
from ida.distill.trainer import DistillationError, TrainResult, train

__all__ = ["DistillationError", "Example", "ObjectiveWeights", "TrainResult", "kd_loss", "kd_loss_topk",
           "on_policy_loss", "read_jsonl", "sft_loss", "tokenize", "train", "write_jsonl"]
