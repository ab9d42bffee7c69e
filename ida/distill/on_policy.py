"""The sampling half of on-policy distillation: the student samples answers to a step's questions, and each
sample becomes a student sequence (its prompt + the sampled tokens) and a teacher sequence (the teacher's prompt
+ the same tokens), the sampled tokens being the labels of both."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ida.distill.batching import fit_prompt
from ida.distill.data import IGNORE, sequences
from ida.models.generation import generate, pad_id


@dataclass
class SampleBatch:
    """One micro-batch of samples: `student` and `teacher` are `sequences(...)` dicts over the same tokens."""

    student: dict[str, torch.Tensor]
    teacher: dict[str, torch.Tensor]

    @property
    def n_tokens(self) -> int:
        return int((self.student["labels"] != IGNORE).sum())


def sample_micro_batches(model, tokenizer, prompt_text: list[str], prompts: list[list[int]],
                         teacher_prompts: list[list[int]], n_samples: int, max_new_tokens: int, temperature: float,
                         seed: int, max_length: int, n_micro: int) -> list[SampleBatch]:
    """`n_samples` seeded samples per question (greedy never: temperature > 0), split into `n_micro` batches.

    Generation runs in eval mode without gradients; the caller puts the model back in train mode."""
    texts = [t for t in prompt_text for _ in range(n_samples)]
    gens = generate(model, tokenizer, texts, max_new_tokens, temperature=temperature, seed=seed)
    answers = [list(g.token_ids) for g in gens]
    student_p = [p for p in prompts for _ in range(n_samples)]
    teacher_p = [fit_prompt(p, len(a), max_length) for p, a in
                 zip((p for p in teacher_prompts for _ in range(n_samples)), answers)]
    pad = pad_id(tokenizer)
    out = []
    for rows in torch.tensor_split(torch.arange(len(answers)), n_micro):
        rows = rows.tolist()
        if rows:
            out.append(SampleBatch(sequences([student_p[r] for r in rows], [answers[r] for r in rows], pad),
                                   sequences([teacher_p[r] for r in rows], [answers[r] for r in rows], pad)))
    return out
