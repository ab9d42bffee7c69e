"""The distillation loop: AdamW on a tokenized set, seeded and deterministic on CPU.

    result = train(model.model, model.tokenizer, examples, DistillConfig(), seed=0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ida.config import DistillConfig
from ida.distill.data import Example, tokenize
from ida.distill.objectives import sft_loss


class DistillationError(RuntimeError):
    """Training went wrong (a NaN/Inf loss): the cycle stops and no checkpoint is promoted."""


@dataclass
class TrainResult:
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)

    @property
    def final_loss(self) -> float:
        tail = self.losses[-10:]
        return sum(tail) / len(tail)


def train(model, tokenizer, examples: list[Example], cfg: DistillConfig, seed: int, steps: int | None = None,
          on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Train `model` in place for `steps` (default `cfg.steps`) optimizer steps on `examples`."""
    steps = steps or cfg.steps
    data = tokenize(examples, tokenizer, model.config.n_positions)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    losses, start = [], time.perf_counter()
    for step in range(steps):
        index_B = torch.randint(len(data), (min(cfg.batch_size, len(data)),), generator=generator)
        batch = data.batch(index_B)
        logits_B_T_V = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        loss_sum, n_tokens = sft_loss(logits_B_T_V, batch["labels"])
        loss = loss_sum / n_tokens
        if not math.isfinite(loss.item()):
            raise DistillationError(f"loss became {loss.item()} at step {step}; stopping, nothing promoted")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if on_step:
            on_step(step + 1, losses[-1])
    model.eval()
    return TrainResult(steps=steps, seconds=time.perf_counter() - start, losses=losses)
