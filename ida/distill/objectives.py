"""Distillation objectives (`Objective` in DESIGN.md): pure torch losses, no model code and no I/O.

Conventions
-----------
* Names carry their dimensions: B batch, T sequence, V vocabulary, K teacher top-k, N selected answer positions.
* `labels_B_T` are the token ids of the whole sequence with `IGNORE_INDEX` (-100) at prompt and padding
  positions. Logits at position t predict token t + 1; `_shift` is the only place that pairs them, so the
  position-0 label is never predicted and never counted.
* Every loss returns a *sum* over answer tokens plus the number of tokens summed (`LossSum`), never a mean:
  the trainer picks the denominator. Temperatures here are *loss* temperatures; how the student sampled (its
  sampling temperature) is the caller's business.

How the trainer normalises (gradient accumulation must not change the loss)
---------------------------------------------------------------------------
Divide each micro-batch's sum by the token count of the *whole* optimiser step, known before any backward::

    n_total = sum(count_answer_tokens(mb["labels"]) for mb in micro_batches)  # on_policy: sum of mask.sum()
    for mb in micro_batches:
        out = sft_loss(student(**mb).logits, mb["labels"])
        normalise(out.sum_loss, n_total).backward()
    optimizer.step()

The accumulated gradient then equals the full batch's. Dividing by each micro-batch's own count (a mean per
micro-batch) would over-weight the tokens of micro-batches with short answers. For mixtures use
`ObjectiveWeights.total(parts, n_totals)` with one n_total per objective. Under DDP (which averages gradients
over ranks) all-reduce n_total with SUM and multiply the loss by the world size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

import torch
import torch.nn.functional as F
from torch import Tensor

IGNORE_INDEX = -100
ObjectiveName = Literal["sft", "kd", "on_policy"]  # the built-in ones; `ida.distill.registry` has them all
OBJECTIVE_NAMES: tuple[str, ...] = get_args(ObjectiveName)
TEACHER_LOGP_FLOOR = -100.0


class LossSum(NamedTuple):
    """A loss summed over answer tokens (`sum_loss`, differentiable) and how many tokens it sums (`n_tokens`)."""

    sum_loss: Tensor
    n_tokens: Tensor


class OnPolicyLossSum(NamedTuple):
    """`sum_loss` is a surrogate (only its gradient means something); `reverse_kl_sum` is the value to log."""

    sum_loss: Tensor
    n_tokens: Tensor
    reverse_kl_sum: Tensor

    @property
    def mean_reverse_kl(self) -> Tensor:
        """Per-token reverse KL estimate of this call, for logging (sum and divide yourself across micro-batches)."""
        return self.reverse_kl_sum / self.n_tokens.clamp_min(1)


def _shift(labels_B_T: Tensor, *per_position_B_T: Tensor) -> tuple[Tensor, ...]:
    """The one place where "position t predicts token t + 1" lives: targets lose their first position,
    per-position predictions (logits, teacher top-k) lose their last."""
    return (labels_B_T[:, 1:], *(x[:, :-1] for x in per_position_B_T))


def answer_positions(labels_B_T: Tensor, *per_position_B_T: Tensor) -> tuple[Tensor, ...]:
    """Targets_N and each per-position tensor at the N answer positions (flattened over the batch).

    Selecting (rather than multiplying by a 0/1 mask) means whatever sits at prompt or padding positions, even
    inf or nan, never reaches a loss or its gradient."""
    targets_B_S, *xs = _shift(labels_B_T, *per_position_B_T)
    mask_B_S = targets_B_S != IGNORE_INDEX
    return (targets_B_S[mask_B_S], *(x[mask_B_S] for x in xs))


def count_answer_tokens(labels_B_T: Tensor) -> Tensor:
    """Tokens `sft_loss`/`kd_loss` will sum over for these labels: the trainer's denominator, before any forward."""
    return (_shift(labels_B_T)[0] != IGNORE_INDEX).sum()


def normalise(sum_loss: Tensor, n_total: int | Tensor) -> Tensor:
    """sum_loss / n_total, where n_total counts the whole accumulated batch; 0 tokens gives 0, not nan."""
    return sum_loss / torch.as_tensor(n_total, device=sum_loss.device).clamp_min(1)


def _log_probs(logits: Tensor, temperature: float) -> Tensor:
    # float32: bf16 log-softmax over a large vocabulary loses the small probabilities KD is about.
    if not temperature > 0:
        raise ValueError(f"loss temperature must be > 0, got {temperature}")
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    return F.log_softmax(logits / temperature, dim=-1)


def _kl_N(p_logp_N_X: Tensor, q_logp_N_X: Tensor) -> Tensor:
    """KL(p ‖ q) per row over the last dim (kd: p the teacher; on_policy: p the student); zeros of p (log-prob
    -inf) contribute exactly 0."""
    p = p_logp_N_X.exp()
    plogp = torch.where(p > 0, p * p_logp_N_X, torch.zeros_like(p))
    return (plogp - p * q_logp_N_X).sum(-1)


def _n_tokens(targets_N: Tensor) -> Tensor:
    return torch.tensor(targets_N.numel(), device=targets_N.device)


def sft_loss(logits_B_T_V: Tensor, labels_B_T: Tensor) -> LossSum:
    """Cross-entropy on the answer tokens only (prompt and padding carry IGNORE_INDEX)."""
    targets_N, logits_N_V = answer_positions(labels_B_T, logits_B_T_V)
    sum_loss = F.nll_loss(_log_probs(logits_N_V, 1.0), targets_N, reduction="sum")
    return LossSum(sum_loss, _n_tokens(targets_N))


def kd_loss(
    student_logits_B_T_V: Tensor, teacher_logits_B_T_V: Tensor, labels_B_T: Tensor, temperature: float
) -> LossSum:
    """T² · KL(softmax(teacher/T) ‖ softmax(student/T)) summed over answer positions (Hinton et al. 2015).

    The T² keeps gradient magnitudes comparable across temperatures (soft-target gradients scale as 1/T²),
    so the weight of `kd` in a mixture need not be retuned when T changes. The teacher is detached. Its
    logits must be aligned position by position with the student's: if the teacher saw another prompt (the
    amplification transcript), the trainer re-lays its answer-position logits into the student's layout."""
    if student_logits_B_T_V.shape != teacher_logits_B_T_V.shape:
        raise ValueError(f"student {tuple(student_logits_B_T_V.shape)} != teacher {tuple(teacher_logits_B_T_V.shape)}")
    targets_N, student_N_V, teacher_N_V = answer_positions(
        labels_B_T, student_logits_B_T_V, teacher_logits_B_T_V.detach()
    )
    kl_N = _kl_N(_log_probs(teacher_N_V, temperature), _log_probs(student_N_V, temperature))
    return LossSum(temperature**2 * kl_N.sum(), _n_tokens(targets_N))


def kd_loss_topk(
    student_logits_B_T_V: Tensor,
    teacher_topk_logprobs_B_T_K: Tensor,
    teacher_topk_ids_B_T_K: Tensor,
    labels_B_T: Tensor,
    temperature: float,
) -> LossSum:
    """`kd_loss` when the teacher is stored only as its top-k (a dataset cannot hold B·T·V floats).

    `teacher_topk_logprobs_B_T_K` must already be at the loss temperature, i.e.
    `log_softmax(teacher_logits / T).topk(k)`; they cannot be re-tempered later without the full logits
    (an API's top logprobs are at T = 1, so use temperature=1 with them). They are indexed like logits:
    position t holds the teacher's distribution over token t + 1. Ids in a row must be distinct.

    Both distributions are collapsed onto k + 1 buckets: the k ids plus a tail holding the rest of the mass
    (teacher: 1 − Σ p_topk). By the data-processing inequality 0 ≤ this ≤ the full KL, with equality at k = V."""
    targets_N, student_N_V, teacher_logp_N_K, ids_N_K = answer_positions(
        labels_B_T, student_logits_B_T_V, teacher_topk_logprobs_B_T_K.detach(), teacher_topk_ids_B_T_K
    )
    student_logp_N_V = _log_probs(student_N_V, temperature)
    ids_N_K = ids_N_K.long()
    in_topk_N_V = torch.zeros_like(student_logp_N_V, dtype=torch.bool).scatter_(-1, ids_N_K, True)
    # finfo.min instead of -inf keeps the tail finite when k = V (an all -inf logsumexp has a nan gradient).
    fill = torch.finfo(student_logp_N_V.dtype).min
    student_tail_N = student_logp_N_V.masked_fill(in_topk_N_V, fill).logsumexp(-1)
    teacher_logp_N_K = teacher_logp_N_K.to(student_logp_N_V.dtype)
    # Rounding leaves ~1e-7 of "tail" even when the ids cover the vocabulary; that tail is exactly empty.
    teacher_tail_N = (1 - teacher_logp_N_K.exp().sum(-1)).clamp_min(0).masked_fill(in_topk_N_V.all(-1), 0)
    teacher_buckets = torch.cat([teacher_logp_N_K, teacher_tail_N.log().unsqueeze(-1)], dim=-1)
    student_buckets = torch.cat([student_logp_N_V.gather(-1, ids_N_K), student_tail_N.unsqueeze(-1)], dim=-1)
    kl_N = _kl_N(teacher_buckets, student_buckets)
    return LossSum(temperature**2 * kl_N.sum(), _n_tokens(targets_N))


def sampled_token_logprobs(logits_B_T_V: Tensor, tokens_B_T: Tensor, temperature: float) -> Tensor:
    """log π(tokens[t] | tokens[<t]) at the loss temperature, aligned with `tokens_B_T`.

    Position 0 has no predicting logits and is 0, so the mask passed to `on_policy_loss` (aligned with the
    tokens, true on sampled answer tokens) must be false there. IGNORE_INDEX in `tokens_B_T` is allowed
    (labels may be passed): those positions get a meaningless value and must be masked."""
    next_B_S, logits_B_S_V = _shift(tokens_B_T, logits_B_T_V)
    logp_B_S_V = _log_probs(logits_B_S_V, temperature)
    logp_B_S = logp_B_S_V.gather(-1, next_B_S.clamp_min(0).unsqueeze(-1)).squeeze(-1)
    return F.pad(logp_B_S, (1, 0))


def on_policy_loss(student_logprobs_B_T: Tensor, teacher_logprobs_B_T: Tensor, mask_B_T: Tensor) -> OnPolicyLossSum:
    """On-policy distillation: policy-gradient surrogate for the reverse KL(student ‖ teacher).

    The student sampled the tokens; both log-probs are of those sampled tokens (`sampled_token_logprobs`, at
    the same loss temperature). Per token, log π_s − log π_t is a one-sample (k1) estimate of the reverse KL at
    the student's own state. As in REINFORCE, advantage = −(log π_s − log π_t), detached, and
    loss = −advantage · log π_s. Since E_{x~π_s}[∇ log π_s(x)] = 0, the expected gradient is exactly
    ∇ KL(π_s ‖ π_t) at each visited state; each token gets its own advantage (no reward-to-go, i.e. discount 0
    as in tinker-cookbook), so the effect of a token on later states is ignored. The estimator is unbiased only
    when the samples come from π_s at the loss temperature (no importance weights are applied). Gradients flow
    only into `student_logprobs_B_T`; the teacher is detached. `sum_loss`'s value is not the KL: log
    `reverse_kl_sum` / `mean_reverse_kl`."""
    mask_B_T = mask_B_T.bool()
    student_N = student_logprobs_B_T[mask_B_T]
    student_N = student_N.to(torch.promote_types(student_N.dtype, torch.float32))
    teacher_N = teacher_logprobs_B_T.detach()[mask_B_T].to(student_N.dtype)
    log_ratio_N = (student_N - teacher_N).detach()
    advantage_N = -log_ratio_N
    sum_loss = -(advantage_N * student_N).sum()
    return OnPolicyLossSum(sum_loss, _n_tokens(student_N), log_ratio_N.sum())


def on_policy_full_loss(student_logits_B_T_V: Tensor, teacher_logits_B_T_V: Tensor, labels_B_T: Tensor,
                        temperature: float) -> OnPolicyLossSum:
    """On-policy distillation with the exact reverse KL at every visited state (GKD, Agarwal et al. 2024, β = 1).

    The student sampled the answer tokens in `labels_B_T`; at each state it visited (prompt + its own earlier
    tokens) the loss is KL(π_s ‖ π_t) = Σ_v π_s(v) (log π_s(v) − log π_t(v)) over the whole vocabulary, instead
    of `on_policy_loss`'s one-sample estimate of it. Same states, same expected gradient per state, no sampling
    variance in the per-token term: with a small vocabulary this costs nothing and is what lets a cold student
    learn (the one-sample estimate only ever pushes down the tokens it happened to sample). As in
    `on_policy_loss`, the effect of a token on later states is ignored. `sum_loss` is the KL itself."""
    if student_logits_B_T_V.shape != teacher_logits_B_T_V.shape:
        raise ValueError(f"student {tuple(student_logits_B_T_V.shape)} != teacher {tuple(teacher_logits_B_T_V.shape)}")
    targets_N, student_N_V, teacher_N_V = answer_positions(
        labels_B_T, student_logits_B_T_V, teacher_logits_B_T_V.detach()
    )
    # A teacher that rules a token out (-inf) would make the KL infinite wherever the student has any mass
    # there; the floor (e^-100, below float32's smallest normal) keeps it finite and still steeply penalised.
    teacher_logp_N_V = _log_probs(teacher_N_V, temperature).clamp_min(TEACHER_LOGP_FLOOR)
    kl_N = _kl_N(_log_probs(student_N_V, temperature), teacher_logp_N_V)
    return OnPolicyLossSum(kl_N.sum(), _n_tokens(targets_N), kl_N.detach().sum())


@dataclass(frozen=True)
class ObjectiveWeights:
    """Weights for mixing objectives: total = Σ_name weight · sum_name / n_name.

    Each objective is normalised by its own token count (on-policy samples and the amplified answers are
    different sequences); weights of 0 switch an objective off."""

    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        from ida.distill.registry import OBJECTIVE_REGISTRY

        unknown = sorted(name for name in self.weights if name not in OBJECTIVE_REGISTRY and ":" not in name)
        if unknown:
            raise ValueError(f"unknown objectives {unknown}; choose from {OBJECTIVE_REGISTRY.names()}")
        bad = {k: w for k, w in self.weights.items() if not (math.isfinite(w) and w >= 0)}
        if bad or not any(w > 0 for w in self.weights.values()):
            raise ValueError(f"weights must be finite, >= 0 and not all 0; got {dict(self.weights)}")

    @classmethod
    def single(cls, name: str) -> ObjectiveWeights:
        return cls({name: 1.0})

    @property
    def active(self) -> tuple[str, ...]:
        """Objectives with a positive weight: the only ones the trainer needs to compute."""
        return tuple(name for name, w in self.weights.items() if w > 0)

    def total(
        self, parts: Mapping[str, Sequence[Tensor]], n_totals: Mapping[str, int | Tensor] | None = None
    ) -> Tensor:
        """Weighted loss from name -> (sum_loss, n_tokens, ...). With gradient accumulation pass `n_totals`
        (name -> tokens in the whole optimiser step); without it each part's own n_tokens is used."""
        missing = set(self.active) - set(parts)
        if missing:
            raise KeyError(f"no loss given for active objectives {sorted(missing)}")
        terms = []
        for name in self.active:
            sum_loss, n_tokens = parts[name][0], parts[name][1]
            n = n_tokens if n_totals is None else n_totals[name]
            terms.append(self.weights[name] * normalise(sum_loss, n))
        return torch.stack(terms).sum()
