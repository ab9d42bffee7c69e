"""`LocalModel`: a tiny causal LM from transformers, built in-process from a config or loaded from a local
`save_pretrained` dir, answering batches of prompts greedily with the log-probs of the answer tokens.

    model = LocalModel.build(ModelConfig(), task.vocabulary(), seed=0)
    model.answer(["perm 3 ^ 2 ="])   # -> [Answer(text="17", logprobs=(-0.01, -0.002))]
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from ida.config import ModelConfig
from ida.models.base import Answer
from ida.models.tokenizer import build_tokenizer

hf_logging.disable_progress_bar()  # per-checkpoint bars would drown the run's own progress display


class LocalModel:
    """An `Answerer` over a local causal LM. `version` names the weights for the executor's memo."""

    def __init__(self, model, tokenizer: PreTrainedTokenizerFast, version: str, max_answer_tokens: int = 4,
                 batch_size: int = 512):
        self.model, self.tokenizer, self.version = model, tokenizer, version
        self.max_answer_tokens, self.batch_size = max_answer_tokens, batch_size

    @classmethod
    def build(cls, cfg: ModelConfig, vocabulary: list[str], seed: int, version: str = "M0") -> LocalModel:
        tokenizer = build_tokenizer(vocabulary)
        torch.manual_seed(seed)
        config = GPT2Config(vocab_size=len(tokenizer), n_layer=cfg.n_layer, n_embd=cfg.n_embd, n_head=cfg.n_head,
                            n_positions=cfg.n_positions, bos_token_id=tokenizer.eos_token_id,
                            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        return cls(GPT2LMHeadModel(config), tokenizer, version, cfg.max_answer_tokens, cfg.answer_batch_size)

    @classmethod
    def load(cls, path: str | Path, version: str | None = None, max_answer_tokens: int = 4,
             batch_size: int = 512) -> LocalModel:
        path = Path(path)
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"{path} is not a checkpoint dir (no config.json)")
        model = GPT2LMHeadModel.from_pretrained(path, local_files_only=True)
        tokenizer = PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
        return cls(model, tokenizer, version or f"ckpt:{content_hash(path)[:12]}", max_answer_tokens, batch_size)

    def save(self, path: str | Path) -> str:
        """`save_pretrained` (safetensors) + tokenizer into `path`; returns the content hash of the files."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        return content_hash(path)

    @torch.no_grad()
    def answer(self, prompts: list[str]) -> list[Answer]:
        self.model.eval()
        out: list[Answer] = []
        for start in range(0, len(prompts), self.batch_size):
            out.extend(self._answer_batch(prompts[start:start + self.batch_size]))
        return out

    def _answer_batch(self, prompts: list[str]) -> list[Answer]:
        """Greedy decoding with the KV cache, left-padded so every row's next token sits in the last column."""
        ids_B_T, mask_B_T = self._left_pad([self.tokenizer.encode(p) for p in prompts])
        eos = self.tokenizer.eos_token_id
        B = ids_B_T.shape[0]
        tokens, logprobs = [[] for _ in range(B)], [[] for _ in range(B)]
        done_B = torch.zeros(B, dtype=torch.bool)
        past, step_ids_B_T = None, ids_B_T
        for _ in range(self.max_answer_tokens + 1):
            pos_B_T = (mask_B_T.cumsum(-1) - 1).clamp(min=0)[:, -step_ids_B_T.shape[1]:]
            out = self.model(input_ids=step_ids_B_T, attention_mask=mask_B_T, position_ids=pos_B_T,
                             past_key_values=past, use_cache=True)
            logp_B_V = out.logits[:, -1].float().log_softmax(-1)
            next_B = logp_B_V.argmax(-1)
            for b in (~done_B).nonzero().flatten().tolist():
                tokens[b].append(int(next_B[b]))
                logprobs[b].append(float(logp_B_V[b, next_B[b]]))
            done_B |= next_B == eos
            if bool(done_B.all()):
                break
            past, step_ids_B_T = out.past_key_values, next_B[:, None]
            mask_B_T = torch.cat([mask_B_T, torch.ones(B, 1, dtype=mask_B_T.dtype)], dim=1)
        return [Answer(text=self._decode(t), logprobs=tuple(lp)) for t, lp in zip(tokens, logprobs)]

    def _left_pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(s) for s in seqs)
        ids = [[self.tokenizer.pad_token_id] * (width - len(s)) + s for s in seqs]
        mask = [[0] * (width - len(s)) + [1] * len(s) for s in seqs]
        return torch.tensor(ids), torch.tensor(mask)

    def _decode(self, ids: list[int]) -> str:
        eos = self.tokenizer.eos_token_id
        return self.tokenizer.decode(ids[: ids.index(eos)] if eos in ids else ids).strip()


HASHED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def content_hash(path: Path) -> str:
    """sha256 over the files that define the student (architecture, weights, vocabulary), in name order;
    loader bookkeeping such as tokenizer_config.json is left out so a reload-and-save keeps the hash."""
    digest = hashlib.sha256()
    for f in sorted(Path(path) / name for name in HASHED_FILES):
        if f.exists():
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()
