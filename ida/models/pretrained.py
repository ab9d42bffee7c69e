"""Pretrained causal LMs as the student (`model.pretrained`): checks before any work, loading, dtype, context
length and the prompt format, whatever the architecture.

    check_pretrained(cfg.model)                 # ValueError naming the field, before the run dir exists
    model, tokenizer = load_pretrained(cfg.model)   # M_0: the checkpoint with its own tokenizer

A hub id goes through `from_pretrained`'s normal cache (HF_HUB_OFFLINE=1: the cache only); one that cannot be
reached fails here in one line naming the id.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ida.config import ModelConfig
from ida.models.prompts import PromptFormat, StudentTokenizer

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")
_CONTEXT_FIELDS = ("n_positions", "max_position_embeddings", "n_ctx", "seq_length", "max_sequence_length")


def context_length(config: Any) -> int:
    """The longest sequence the model takes, from its config whatever the architecture (GPT-2's n_positions,
    Llama/Qwen's max_position_embeddings, ...)."""
    for name in _CONTEXT_FIELDS:
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    text = getattr(config, "text_config", None)
    if text is not None and text is not config:
        return context_length(text)
    raise ValueError(f"model: cannot tell the context length of a {type(config).__name__} "
                     f"(none of {', '.join(_CONTEXT_FIELDS)})")


def torch_dtype(name: str) -> torch.dtype:
    """`model.dtype` -> a torch dtype; auto: bfloat16 on a CUDA device that supports it, else float32."""
    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    return getattr(torch, name)


def prompt_format(cfg: ModelConfig) -> PromptFormat:
    """The prompt format of `cfg`; plain subword models get a space before the answer (it follows '=')."""
    prefix = " " if cfg.pretrained is not None and cfg.prompt_format == "plain" else ""
    return PromptFormat(cfg.prompt_format, cfg.system_prompt, tuple((s.question, s.answer) for s in cfg.few_shot),
                        prefix)


def hub_kwargs(cfg: ModelConfig) -> dict[str, Any]:
    return {"revision": cfg.revision, "trust_remote_code": cfg.trust_remote_code}


def check_pretrained(cfg: ModelConfig) -> Any:
    """Raise ValueError (one line, naming the field) for a checkpoint this run cannot use; returns its config.

    Loads only the config and the tokenizer: a missing dir or file, an unreachable hub id, an unknown or
    non-causal architecture, a tokenizer larger than the embeddings, chat without a template."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    name = cfg.pretrained or ""
    where = f"model.pretrained: {name!r}"
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise ValueError(f"{where} has no config.json (not a save_pretrained dir)")
        if not any((local / f).is_file() for f in TOKENIZER_FILES):
            raise ValueError(f"{where} has no tokenizer files ({', '.join(TOKENIZER_FILES)})")
    elif name.startswith(("/", ".", "~")) or os.sep + os.sep in name or name.count("/") > 1:
        raise ValueError(f"{where}: no such dir")
    try:
        config = AutoConfig.from_pretrained(name, **hub_kwargs(cfg))
    except (ValueError, KeyError) as err:
        raise ValueError(f"{where}: unknown architecture ({_first_line(err)})") from None
    except OSError as err:
        offline = os.environ.get("HF_HUB_OFFLINE", "0")
        raise ValueError(f"{where} cannot be loaded: not a local dir, and not reachable on the hub or in its "
                         f"cache (HF_HUB_OFFLINE={offline}; {_first_line(err)})") from None
    known = config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES or getattr(config, "auto_map", None)
    if not known:
        raise ValueError(f"{where}: unknown architecture {config.model_type!r} (not a causal LM transformers knows)")
    raw = load_tokenizer(name, cfg)
    vocab = getattr(config, "vocab_size", None)
    if vocab is not None and len(raw) > vocab:
        raise ValueError(f"{where}: the tokenizer has {len(raw)} tokens but the model's embeddings only {vocab}")
    if cfg.prompt_format == "chat" and not getattr(raw, "chat_template", None):
        raise ValueError(f"model.prompt_format: chat, but {name!r}'s tokenizer has no chat template")
    StudentTokenizer(raw, prompt_format(cfg))  # no EOS / no end-of-turn token fails here
    return config


def load_tokenizer(path: str | Path, cfg: ModelConfig) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path, **hub_kwargs(cfg))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"model.pretrained: {str(path)!r}: cannot load its tokenizer ({_first_line(err)})") from None


def load_causal_lm(path: str | Path, cfg: ModelConfig) -> Any:
    from transformers import AutoModelForCausalLM

    extra = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype(cfg.dtype), **hub_kwargs(cfg), **extra)


def load_pretrained(cfg: ModelConfig) -> tuple[Any, StudentTokenizer]:
    """M_0 from `model.pretrained`: the model (in `model.dtype`) and its tokenizer in the run's prompt format."""
    raw = load_tokenizer(cfg.pretrained or "", cfg)
    model = load_causal_lm(cfg.pretrained or "", cfg)
    _set_pad(model, raw)
    return model, StudentTokenizer(raw, prompt_format(cfg))


def _set_pad(model: Any, raw: Any) -> None:
    """A checkpoint saved without a pad token gets EOS as its pad (padded positions are masked anyway), so
    generation and the saved config agree on one."""
    if raw.pad_token is None and raw.eos_token is not None:
        raw.pad_token = raw.eos_token
    if getattr(model.generation_config, "pad_token_id", None) is None:
        model.generation_config.pad_token_id = raw.pad_token_id


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
