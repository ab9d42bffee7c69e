"""Pretrained causal LMs as the student (`model.pretrained`): checks before any work, loading, dtype, context
length and the prompt format, whatever the architecture.

    check_pretrained(cfg.model)                 # ValueError naming the field, before the run dir exists
    model, tokenizer = load_pretrained(cfg.model)   # M_0: the checkpoint with its own tokenizer

A hub id goes through `from_pretrained`'s normal cache (HF_HUB_OFFLINE=1: the cache only); one that cannot be
reached fails here in one line naming the id. When the hub's host does not answer within a second (no network),
the cache only is used too, instead of `from_pretrained`'s retries (five, over about 30 s). Only decoder-only
causal LMs are students: encoder-only (BERT) and encoder-decoder (T5, BART) checkpoints are refused here.
`model.dtype` bfloat16/float16 without a CUDA device is allowed (it saves memory) with one warning per process.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


_warned: set[str] = set()


def torch_dtype(name: str) -> torch.dtype:
    """`model.dtype` -> a torch dtype; auto: bfloat16 on a CUDA device that supports it, else float32. A half
    precision asked for on a CPU is warned about once per process (every checkpoint load comes through here)."""
    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    if name in ("bfloat16", "float16") and not torch.cuda.is_available() and name not in _warned:
        _warned.add(name)
        print(f"warning: model.dtype: {name} without a CUDA device: on a CPU it is slower than float32 and "
              "its rounding changes training; set model.dtype=auto (float32 here) unless you mean it",
              file=sys.stderr)
    return getattr(torch, name)


def prompt_format(cfg: ModelConfig) -> PromptFormat:
    """The prompt format of `cfg`; plain subword models get a space before the answer (it follows '=')."""
    prefix = " " if cfg.pretrained is not None and cfg.prompt_format == "plain" else ""
    return PromptFormat(cfg.prompt_format, cfg.system_prompt, tuple((s.question, s.answer) for s in cfg.few_shot),
                        prefix)


def hub_kwargs(cfg: ModelConfig) -> dict[str, Any]:
    """`from_pretrained`'s arguments; the cache only when `model.pretrained` is a hub id and the hub is out of
    reach (offline mode, or its host does not answer)."""
    kwargs = {"revision": cfg.revision, "trust_remote_code": cfg.trust_remote_code}
    name = cfg.pretrained or ""
    if name and not Path(name).expanduser().is_dir() and not hub_reachable():
        kwargs["local_files_only"] = True
    return kwargs


def hub_reachable(timeout: float = 1.0) -> bool:
    """False in offline mode (HF_HUB_OFFLINE=1) or when a TCP connection to the hub's host (HF_ENDPOINT) is not
    made within `timeout`; True behind a proxy (the host is reached through it, not directly)."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")):
        return True
    return _answers(constants.ENDPOINT, timeout)


@functools.lru_cache(maxsize=8)
def _answers(endpoint: str, timeout: float) -> bool:
    url = urlsplit(endpoint)
    address = (url.hostname or "", url.port or (443 if url.scheme == "https" else 80))
    done: list[bool] = []

    def connect() -> None:  # in a thread: name resolution has no timeout of its own
        try:
            socket.create_connection(address, timeout=timeout).close()
            done.append(True)
        except OSError:
            pass

    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(timeout + 0.2)
    return bool(done)


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
        why = "" if offline != "0" or hub_reachable() else " (the hub's host does not answer: no network?)"
        raise ValueError(f"{where} cannot be loaded: not a local dir, and not reachable on the hub{why} or in its "
                         f"cache (HF_HUB_OFFLINE={offline}; {_first_line(err)})") from None
    check_decoder_only(config, where)
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


def check_decoder_only(config: Any, where: str) -> None:
    """Encoder-decoder (T5, BART) and encoder-only (BERT) checkpoints cannot be the student: transformers can put
    a causal head on some of them (BartForCausalLM, BertLMHeadModel), but their weights were not trained to
    predict the next token, so the run would distil into noise."""
    from transformers.models.auto.modeling_auto import (MODEL_FOR_MASKED_LM_MAPPING_NAMES,
                                                        MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES)

    kind = config.model_type
    if getattr(config, "is_encoder_decoder", False) or kind in MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES:
        raise ValueError(f"{where} is an encoder-decoder (sequence-to-sequence) model ({kind}); the student must be "
                         "a decoder-only causal LM (e.g. GPT-2, Llama, Qwen)")
    if kind in MODEL_FOR_MASKED_LM_MAPPING_NAMES and not getattr(config, "is_decoder", False):
        raise ValueError(f"{where} is an encoder-only (masked LM) model ({kind}); the student must be a "
                         "decoder-only causal LM (e.g. GPT-2, Llama, Qwen)")


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
