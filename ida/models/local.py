"""`LocalModel`: a causal LM from transformers, built in-process from a config (a tiny GPT-2 or Llama) or loaded
from any local `save_pretrained` dir (any architecture `AutoModelForCausalLM` knows), answering batches of prompts
greedily with the log-probs of the answer tokens, and generating text (greedy or sampled, with stop strings).

    model = LocalModel.build(ModelConfig(), task.vocabulary(), seed=0)   # architecture, positions: see ModelConfig
    model.answer(["perm 3 ^ 2 ="])   # -> [Answer(text="17", logprobs=(-0.01, -0.002))]
    model.generate(["perm 3 ^ 2 ="], max_new_tokens=8, temperature=1.0, seed=0)   # -> [Generation(...)]
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import (AutoTokenizer, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM,
                          PreTrainedTokenizerFast)
from transformers.utils import logging as hf_logging

from ida.config import ModelConfig
from ida.models.base import Answer
from ida.models.checkpoint import ADAPTER_CONFIG, content_hash, load_weights
from ida.models.generation import Generation, generate
from ida.models.positions import PositionScheme, separator_ids
from ida.models.pretrained import prompt_format
from ida.models.prompts import StudentTokenizer, student_tokenizer
from ida.models.tokenizer import build_tokenizer

hf_logging.disable_progress_bar()  # per-checkpoint bars would drown the run's own progress display


class LocalModel:
    """An `Answerer` over a local causal LM. `version` names the weights for the executor's memo."""

    usage = None  # nothing to count or pay for: calls stay in this process

    def close(self) -> None:
        """Nothing to release (the weights go with the object)."""

    def __init__(self, model, tokenizer: StudentTokenizer | PreTrainedTokenizerFast, version: str,
                 max_answer_tokens: int = 4,
                 batch_size: int = 512):
        self.model, self.tokenizer, self.version = model, student_tokenizer(tokenizer), version
        self.max_answer_tokens, self.batch_size = max_answer_tokens, batch_size
        self.path: Path | None = None  # the checkpoint dir it was loaded from (vLLM loads the same files)

    @classmethod
    def build(cls, cfg: ModelConfig, vocabulary: list[str], seed: int, version: str = "M0",
              separators: tuple[str, ...] = ()) -> LocalModel:
        """M_0: the checkpoint of `model.pretrained`, or else a fresh student of `model.architecture` over the
        task's vocabulary; `separators` (the task's, unless the config names its own) are where coupled
        positions restart."""
        if cfg.pretrained is not None:
            from ida.models.pretrained import load_pretrained

            model, tokenizer = load_pretrained(cfg)
            return cls(model, tokenizer, version, cfg.max_answer_tokens, cfg.answer_batch_size)
        tokenizer = build_tokenizer(vocabulary)
        torch.manual_seed(seed)
        make_config, model_class = _TINY[cfg.architecture]
        config = make_config(cfg, tokenizer)
        if cfg.position_scheme != "sequential":
            names = cfg.position_separators if cfg.position_separators is not None else separators
            if not names:
                raise ValueError("model.position_scheme: coupled positions need separator tokens (the task's "
                                 "position_separators or model.position_separators)")
            PositionScheme(cfg.position_scheme, separator_ids(tokenizer, names)).save_into(config)
        return cls(model_class(config), StudentTokenizer(tokenizer, prompt_format(cfg)), version, cfg.max_answer_tokens,
                   cfg.answer_batch_size)

    @classmethod
    def load(cls, path: str | Path, version: str | None = None, max_answer_tokens: int = 4,
             batch_size: int = 512, cfg: ModelConfig | None = None) -> LocalModel:
        """A checkpoint dir (full weights, or an adapter merged onto its base); `cfg` gives the prompt format,
        dtype and loading options of a run (None: plain, as saved)."""
        path = Path(path)
        if not (path / "config.json").exists() and not (path / ADAPTER_CONFIG).exists():
            raise FileNotFoundError(f"{path} is not a checkpoint dir (no config.json)")
        cfg = cfg or ModelConfig()
        model = load_weights(path, cfg)
        raw = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=cfg.trust_remote_code)
        tokenizer = StudentTokenizer(raw, prompt_format(cfg))
        model = cls(model, tokenizer, version or f"ckpt:{content_hash(path)[:12]}", max_answer_tokens, batch_size)
        model.path = path
        return model

    def save(self, path: str | Path) -> str:
        """`save_pretrained` (safetensors) + tokenizer into `path`; returns the content hash of the files."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        return content_hash(path)

    def answer(self, prompts: list[str]) -> list[Answer]:
        """Greedy answers: up to `max_answer_tokens` tokens plus EOS; log-probs include the EOS token's."""
        return self.answers(self.generate(prompts, max_new_tokens=self.max_answer_tokens + 1))

    def answers(self, gens: list[Generation]) -> list[Answer]:
        """Generations as answers; one with no stop token (cut at the token budget) is marked `truncated`."""
        stop = set(student_tokenizer(self.tokenizer).stop_ids)
        return [Answer(text=g.text, logprobs=g.logprobs, truncated=not stop.intersection(g.token_ids))
                for g in gens]

    def generate(self, prompts: list[str], max_new_tokens: int, temperature: float = 0.0,
                 stop: list[str] | None = None, seed: int | None = None) -> list[Generation]:
        """Batched generation with the KV cache (see `ida.models.generation.generate`): greedy at temperature 0,
        else seeded sampling; stops at EOS or a stop string; log-probs of the generated tokens."""
        return generate(self.model, self.tokenizer, prompts, max_new_tokens, temperature=temperature, stop=stop,
                        seed=seed, batch_size=self.batch_size)


def _gpt2_config(cfg: ModelConfig, tokenizer: PreTrainedTokenizerFast) -> GPT2Config:
    return GPT2Config(vocab_size=len(tokenizer), n_layer=cfg.n_layer, n_embd=cfg.n_embd, n_head=cfg.n_head,
                      n_positions=cfg.n_positions, resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout,
                      attn_pdrop=cfg.dropout, bos_token_id=tokenizer.eos_token_id,
                      eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)


def _llama_config(cfg: ModelConfig, tokenizer: PreTrainedTokenizerFast) -> LlamaConfig:
    # rotary positions; input and output embeddings tied, as GPT-2's are
    return LlamaConfig(vocab_size=len(tokenizer), hidden_size=cfg.n_embd, intermediate_size=4 * cfg.n_embd,
                       num_hidden_layers=cfg.n_layer, num_attention_heads=cfg.n_head,
                       num_key_value_heads=cfg.n_head, max_position_embeddings=cfg.n_positions,
                       attention_dropout=cfg.dropout, tie_word_embeddings=True,
                       bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                       pad_token_id=tokenizer.pad_token_id)


# model.architecture -> (its transformers config from the model section, the model class)
_TINY = {"gpt2": (_gpt2_config, GPT2LMHeadModel), "llama": (_llama_config, LlamaForCausalLM)}


def use_threads(threads: int | None) -> None:
    """Set torch's intra-op threads for this process (None: leave torch's default)."""
    if threads is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def load_student(cfg: ModelConfig, path: str | Path, version: str) -> LocalModel:
    """A run's checkpoint as the run answers with it: the run's answer length, batch size and prompt format."""
    return LocalModel.load(path, version=version, max_answer_tokens=cfg.max_answer_tokens,
                           batch_size=cfg.answer_batch_size, cfg=cfg)
