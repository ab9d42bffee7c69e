"""Checkpoint dirs on disk: full `save_pretrained` weights, or a LoRA adapter that names its base by path and
content hash (`distill.lora.save: adapter`).

An adapter dir holds peft's `adapter_config.json` + `adapter_model.safetensors`, the tokenizer, and
`ida_base.json` = {"path": <base dir, relative to this one when inside the same run>, "sha256": <base's content
hash>}. Loading merges the adapter onto its base (itself loaded the same way, so cycles chain); a base whose hash
changed is refused. The adapter's content hash covers `ida_base.json`, so it names its whole lineage.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ida.config import ModelConfig

ADAPTER_CONFIG, ADAPTER_BASE = "adapter_config.json", "ida_base.json"
_HASHED = ("config.json", "tokenizer.json", "chat_template.jinja", ADAPTER_CONFIG, ADAPTER_BASE)


def hashed_files(path: Path) -> list[Path]:
    """The files that define a checkpoint, in name order: config, weights (every *.safetensors, so sharded
    checkpoints count whole), tokenizer, chat template, adapter and its base reference."""
    files = [path / name for name in _HASHED] + list(path.glob("*.safetensors"))
    return sorted((f for f in set(files) if f.is_file()), key=lambda f: f.name)


def is_adapter(path: Path) -> bool:
    return (Path(path) / ADAPTER_CONFIG).is_file()


def load_weights(path: Path, cfg: ModelConfig) -> Any:
    """The causal LM in `path`; an adapter dir is merged onto its base (checked against the recorded hash)."""
    from transformers import AutoModelForCausalLM

    from ida.models.pretrained import torch_dtype

    path = Path(path)
    if is_adapter(path):
        from peft import PeftModel

        base_ref = json.loads((path / ADAPTER_BASE).read_text())
        base = (path / base_ref["path"]).resolve()
        if content_hash(base) != base_ref["sha256"]:
            raise ValueError(f"{path}: its base checkpoint {base} changed since the adapter was trained "
                             "(content hash differs)")
        return PeftModel.from_pretrained(load_weights(base, cfg), path).merge_and_unload()
    dtype = torch_dtype(cfg.dtype) if cfg.pretrained is not None else None  # the tiny default: as saved
    extra = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
    return AutoModelForCausalLM.from_pretrained(path, local_files_only=True, trust_remote_code=cfg.trust_remote_code,
                                                **({"dtype": dtype} if dtype is not None else {}), **extra)


class AdapterCheckpoint:
    """What `save_atomic` saves after LoRA training with `lora.save: adapter`: the peft model's adapter, the
    tokenizer, and the reference to the base checkpoint the adapter was trained on."""

    def __init__(self, peft_model: Any, tokenizer: Any, base: Path, out: Path) -> None:
        self.peft_model, self.tokenizer, self.base, self.out = peft_model, tokenizer, Path(base), Path(out)

    def save(self, path: str | Path) -> str:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        # relative to the final dir (a sibling of `path`), so a run dir can move; absolute outside the run
        relative = os.path.relpath(self.base.resolve(), self.out.resolve())
        inside = not relative.startswith(os.pardir * 3)
        reference = relative if inside else str(self.base.resolve())
        for peft_cfg in self.peft_model.peft_config.values():
            peft_cfg.base_model_name_or_path = reference  # no machine-specific path in the hashed files
        self.peft_model.save_pretrained(path, safe_serialization=True)
        self._card_names_base_as(path / "README.md", reference)
        self.tokenizer.save_pretrained(path)
        (path / ADAPTER_BASE).write_text(json.dumps({"path": reference, "sha256": content_hash(self.base)},
                                                    sort_keys=True) + "\n")
        return content_hash(path)

    def _card_names_base_as(self, card: Path, reference: str) -> None:
        """peft's model card names the base by the path it was loaded from (`base_model:`, a tag); write the same
        reference as ida_base.json instead, so the card holds no path of this machine."""
        if not card.is_file():
            return
        base = self.peft_model.get_base_model()
        loaded = {str(p) for p in (getattr(base, "name_or_path", None), base.config._name_or_path,
                                   self.base.resolve(), self.base) if p}
        text = card.read_text(encoding="utf-8")
        for path in sorted(loaded, key=len, reverse=True):  # the longest first: one may contain another
            text = text.replace(path, reference)
        card.write_text(text, encoding="utf-8")


def content_hash(path: Path) -> str:
    """sha256 over the files that define the student (architecture, weights or adapter and the base it names,
    vocabulary, chat template), in name order; loader bookkeeping such as tokenizer_config.json is left out so
    a reload-and-save keeps the hash."""
    digest = hashlib.sha256()
    for f in hashed_files(Path(path)):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()
