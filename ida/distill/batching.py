"""Which rows go into each optimiser step and micro-batch, and where a row's answer positions are.

Rows are right-padded (`ida.distill.data.sequences`) and every batch is trimmed to its longest row, so a step
pays only for its own lengths.
`length_buckets > 1` draws each step from one length bucket (chosen with probability proportional to its size,
so every row is still drawn equally often in expectation): the rows of a step then have similar lengths and
almost no padding, which is what costs time on CPU where the batch fits in memory anyway.

Packing (several examples in one row) is deliberately not done: with the eager/SDPA attention of transformers a
packed row lets an example attend to the one before it; only flash-attention-2 with position ids restarting per
example keeps packed examples apart, and that exists on CUDA only. Bucketing gets most of the saving without it.
"""

from __future__ import annotations

import torch

from ida.distill.data import IGNORE, TokenizedSet


class StepSampler:
    """Row indices of each optimiser step: epochs of seeded shuffles (resumable by seed), so every row is seen
    equally often, as an epoch-based data loader would (drawing with replacement left some rows unseen for many
    steps, which costs memorisation tasks ~7% final loss at 100 steps against TRL's SFTTrainer).

    With buckets, a step first picks a bucket (in proportion to its size), then takes the next rows of that
    bucket's own shuffled epochs."""

    def __init__(self, lengths_N: torch.Tensor, batch_size: int, buckets: int, seed: int):
        self.n, self.batch_size = len(lengths_N), min(batch_size, len(lengths_N))
        self.generator = torch.Generator().manual_seed(seed)
        order_N = torch.sort(lengths_N, stable=True).indices
        self.buckets = [b for b in torch.tensor_split(order_N, min(buckets, self.n)) if len(b)]
        self.bucket_sizes = torch.tensor([len(b) for b in self.buckets], dtype=torch.float)
        self.queues: list[torch.Tensor] = [b[:0] for b in self.buckets]  # rows left in each bucket's epoch

    def next(self) -> torch.Tensor:
        which = 0
        if len(self.buckets) > 1:
            which = int(torch.multinomial(self.bucket_sizes, 1, generator=self.generator))
        bucket, queue = self.buckets[which], self.queues[which]
        while len(queue) < self.batch_size:
            queue = torch.cat([queue, bucket[torch.randperm(len(bucket), generator=self.generator)]])
        self.queues[which] = queue[self.batch_size:]
        return queue[:self.batch_size]


def split_micro(index_B: torch.Tensor, lengths_N: torch.Tensor, grad_accum: int, rank: int = 0,
                world_size: int = 1) -> list[torch.Tensor]:
    """This rank's `grad_accum` micro-batches of a step's rows.

    Sorted by length first, so each micro-batch is trimmed to rows of similar length; the step's gradient is
    the same however its rows are split, because losses are normalised by the whole step's token count."""
    if grad_accum * world_size > 1:
        index_B = index_B[torch.sort(lengths_N[index_B], stable=True).indices]
    chunks = torch.tensor_split(index_B, grad_accum * world_size)
    return list(chunks[rank * grad_accum:(rank + 1) * grad_accum])


def lengths(data: TokenizedSet) -> torch.Tensor:
    return data.attention_mask_N_T.sum(-1)


def fit_prompt(prompt_ids: list[int], answer_len: int, max_length: int) -> list[int]:
    """Keep the end of a (teacher) prompt so prompt + answer fit the model: the transcript's oldest steps go
    first, the question itself (at the end) stays."""
    room = max_length - answer_len
    if room < 1:
        raise ValueError(f"an answer of {answer_len} tokens leaves no room for a prompt in {max_length} positions")
    return prompt_ids[-room:]


def predicting_positions(labels_B_T: torch.Tensor) -> torch.Tensor:
    """Positions whose logits predict an answer token (position t predicts token t + 1)."""
    mask_B_T = torch.zeros_like(labels_B_T, dtype=torch.bool)
    mask_B_T[:, :-1] = labels_B_T[:, 1:] != IGNORE
    return mask_B_T
