"""Teacher distributions for `kd` and `on_policy`: which checkpoint teaches, what prompt it sees, and its
outputs re-laid into the student's token positions.

The *amplified* teacher is M_n, frozen, with the subquestion transcript of the example's graph in its context
(`amplified_prompt`): Amp(H, M_n) produced the target from those subanswers, so this is the distribution the
target came from, scored on the same answer tokens the student learns. The *anchor* teacher is a fixed earlier
checkpoint that sees the bare prompt, as the student does. Teacher and student see different prompts, so the
teacher's outputs at its answer positions are moved to the student's answer positions (same tokens, other
offsets) before any loss sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from decomposition.graph import RESOLVED
from ida.config import TeacherConfig
from ida.distill.batching import fit_prompt, predicting_positions
from ida.distill.data import IGNORE, sequences
from ida.distill.objectives import sampled_token_logprobs
from ida.models.positions import PositionScheme


def amplified_prompt(graph_json: dict[str, Any], prompt: str) -> str:
    """"sub_1 = a_1 ; sub_2 = a_2 | <prompt>": the resolved subquestions (their text, without any facts, which
    the prompt already holds) with their answers in the order they were asked, then the student's prompt."""
    steps = [f"{n['text']} = {n['answer']}" for n in sorted(graph_json["nodes"], key=lambda n: n["id"])
             if n["id"] != 0 and n["status"] in RESOLVED and n["answer"] is not None]
    return f"{' ; '.join(steps)} | {prompt}" if steps else prompt


def teacher_checkpoint(cfg: TeacherConfig, checkpoint: Callable[[int], Path], cycle: int) -> Path:
    """The checkpoint that teaches cycle `cycle`: M_{cycle-1} (amplified) or the anchor."""
    if cfg.kind == "amplified":
        return checkpoint(cycle - 1)
    if isinstance(cfg.anchor, int):
        return checkpoint(min(cfg.anchor, cycle - 1))  # the anchor freezes once M_anchor exists
    return Path(cfg.anchor)


def relayout(values_M_X: torch.Tensor, positions_B_T: torch.Tensor) -> torch.Tensor:
    """Rows of `values_M_X` (one per answer position, row-major) placed at the true cells of `positions_B_T`;
    zeros elsewhere, which the objectives never read (they select answer positions only)."""
    out = values_M_X.new_zeros((*positions_B_T.shape, *values_M_X.shape[1:]))
    out[positions_B_T] = values_M_X
    return out


@torch.no_grad()
def teacher_forward(teacher, batch: dict[str, torch.Tensor], autocast) -> torch.Tensor:
    with autocast():
        return teacher(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                       **PositionScheme.of(teacher).forward_kwargs(batch["input_ids"], batch["attention_mask"])
                       ).logits.float()


class KDTargets:
    """The teacher's distribution at every answer position of every example, computed once per training run
    (the teacher is frozen and the examples fixed): raw logits (full KD, tempered in the loss) or, with
    `top_k`, log_softmax(logits / T).topk(k) (values and ids), which is all `kd_loss_topk` needs."""

    def __init__(self, teacher, prompts: list[list[int]], answers: list[list[int]], pad_id: int, max_length: int,
                 temperature: float, top_k: int | None, device, autocast, chunk: int = 256):
        self.top_k = top_k
        values, ids = [], []
        for start in range(0, len(prompts), chunk):
            rows_p = [fit_prompt(p, len(a), max_length) for p, a in
                      zip(prompts[start:start + chunk], answers[start:start + chunk])]
            batch = {k: v.to(device) for k, v in sequences(rows_p, answers[start:start + chunk], pad_id).items()}
            logits_B_T_V = teacher_forward(teacher, batch, autocast)
            rows_M_V = logits_B_T_V[predicting_positions(batch["labels"])]
            if top_k is None:
                values.append(rows_M_V)
            else:
                top = F.log_softmax(rows_M_V / temperature, -1).topk(min(top_k, rows_M_V.shape[-1]), dim=-1)
                values.append(top.values)
                ids.append(top.indices)
        self.values_M_X = torch.cat(values)
        self.ids_M_K = torch.cat(ids) if ids else None
        counts = torch.tensor([len(a) for a in answers])
        self.offsets = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)]).tolist()

    def _rows(self, source: torch.Tensor, index_B: torch.Tensor) -> torch.Tensor:
        return torch.cat([source[self.offsets[i]:self.offsets[i + 1]] for i in index_B.tolist()])

    def for_batch(self, index_B: torch.Tensor, labels_B_T: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(teacher logits_B_T_V,) or (top-k log-probs_B_T_K, ids_B_T_K), aligned with the student's batch."""
        positions_B_T = predicting_positions(labels_B_T)
        if self.ids_M_K is None:
            return (relayout(self._rows(self.values_M_X, index_B), positions_B_T),)
        return (relayout(self._rows(self.values_M_X, index_B), positions_B_T),
                relayout(self._rows(self.ids_M_K, index_B), positions_B_T))


def teacher_sampled_logprobs(teacher, teacher_batch: dict[str, torch.Tensor], student_labels_B_T: torch.Tensor,
                             temperature: float, autocast) -> torch.Tensor:
    """log π_teacher of the student's sampled tokens (teacher-forced in the teacher's own prompt), aligned with
    the student's tokens: the `teacher_logprobs_B_T` of `on_policy_loss`."""
    logits_B_T_V = teacher_forward(teacher, teacher_batch, autocast)
    labels = teacher_batch["labels"]
    logp_B_T = sampled_token_logprobs(logits_B_T_V, labels, temperature)
    return relayout(logp_B_T[labels != IGNORE], student_labels_B_T != IGNORE)


def teacher_logits_on_samples(teacher, teacher_batch: dict[str, torch.Tensor], student_labels_B_T: torch.Tensor,
                              autocast) -> torch.Tensor:
    """The teacher's logits at every position that predicts one of the student's sampled tokens (teacher-forced
    in the teacher's own prompt), re-laid into the student's positions: the teacher of `on_policy_full_loss`."""
    logits_B_T_V = teacher_forward(teacher, teacher_batch, autocast)
    rows_M_V = logits_B_T_V[predicting_positions(teacher_batch["labels"])]
    return relayout(rows_M_V, predicting_positions(student_labels_B_T))
