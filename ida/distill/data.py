"""Distillation datasets: (prompt, target) pairs, tokenized with the prompt masked out of the labels, and
written as content-hashed JSONL so a cycle's training set can be identified and re-read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ida.atomic import write_text_atomic
from ida.distill.objectives import IGNORE_INDEX
from ida.models.prompts import student_tokenizer

IGNORE = IGNORE_INDEX  # the label that never reaches the loss (prompt and padding positions)


@dataclass(frozen=True)
class Example:
    """One training pair: the student sees `prompt` and learns to continue with `target` then EOS.

    `teacher_prompt` is what the amplified teacher sees instead (the subquestion transcript, then the prompt);
    None: the teacher sees `prompt`."""

    prompt: str
    target: str
    question_id: str = ""
    difficulty: int = 0
    teacher_prompt: str | None = None
    provenance: str | None = None  # the target's: verified, propagated or model (`ida.review.outcome`)


def write_jsonl(examples: list[Example], path: Path) -> str:
    """Write `examples` to `path` atomically; returns the sha256 of the file's content."""
    text = "".join(json.dumps(_row(e), sort_keys=True) + "\n" for e in examples)
    write_text_atomic(path, text)
    return hashlib.sha256(text.encode()).hexdigest()


def _row(e: Example) -> dict:
    # Without a teacher prompt a row is written as before the field existed, so old datasets keep their hash.
    row = asdict(e)
    for optional in ("teacher_prompt", "provenance"):
        if row[optional] is None:
            del row[optional]
    return row


def read_jsonl(path: Path) -> list[Example]:
    return [Example(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def supervised_examples(task, questions) -> list[Example]:
    """The supervised training set: `questions` with their true answers (a qa task may leave some questions
    without a reference; those are skipped). Used by the baseline and by diversity injection."""
    pairs = ((q, task.true_answer(q)) for q in questions)
    return [Example(q.prompt, truth, q.id, q.difficulty) for q, truth in pairs if truth is not None]


@dataclass
class TokenizedSet:
    """All examples as right-padded tensors; `labels_N_T` is IGNORE on prompt and pad positions."""

    input_ids_N_T: torch.Tensor
    attention_mask_N_T: torch.Tensor
    labels_N_T: torch.Tensor

    def __len__(self) -> int:
        return self.input_ids_N_T.shape[0]

    def batch(self, index_B: torch.Tensor) -> dict[str, torch.Tensor]:
        """Rows `index_B`, trimmed to the longest row so short tasks do not pay for padding."""
        mask = self.attention_mask_N_T[index_B]
        width = int(mask.sum(-1).max())
        return {"input_ids": self.input_ids_N_T[index_B, :width], "attention_mask": mask[:, :width],
                "labels": self.labels_N_T[index_B, :width]}


def tokenize(examples: list[Example], tokenizer, max_length: int) -> TokenizedSet:
    """Prompts rendered and answers tokenized as the student sees them (`ida.models.prompts.StudentTokenizer`):
    the answer's tokens are the ones generation emits after the same prompt, ending with the stop token."""
    if not examples:
        raise ValueError("cannot distill on an empty dataset (every example was rejected or failed?)")
    tokenizer = student_tokenizer(tokenizer)
    # one batched call each: per-example encode() costs more than the first training steps on a 20k dataset
    prompts = tokenizer.encode_batch([e.prompt for e in examples])
    answers = tokenizer.encode_answers([e.target for e in examples])
    for e, p, a in zip(examples, prompts, answers):
        if len(p) + len(a) > max_length:
            raise ValueError(f"example {e.question_id!r} has {len(p) + len(a)} tokens (prompt {len(p)} + answer "
                             f"{len(a)}), more than the model's context length of {max_length}")
    rows = sequences(prompts, answers, tokenizer.pad_token_id)
    return TokenizedSet(rows["input_ids"], rows["attention_mask"], rows["labels"])


def pad_right(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ragged token rows -> (ids_B_T, attention_mask_B_T), right-padded to the longest row."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[b, :len(r)] = 1
    return ids, mask


def sequences(prompts: list[list[int]], answers: list[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """prompt + answer rows, right-padded; `labels` hold the answer tokens and IGNORE elsewhere, so the
    objectives' masks select exactly the answer tokens."""
    ids_B_T, mask_B_T = pad_right([p + a for p, a in zip(prompts, answers)], pad_id)
    labels_B_T = torch.full_like(ids_B_T, IGNORE)
    for b, (p, a) in enumerate(zip(prompts, answers)):
        labels_B_T[b, len(p):len(p) + len(a)] = torch.tensor(a, dtype=torch.long)
    return {"input_ids": ids_B_T, "attention_mask": mask_B_T, "labels": labels_B_T}
