"""A content-addressed cache of the supervised baseline (`eval.baseline_cache`), beside the runs:
`<runs root>/.cache/baseline/<key>/` holds the trained checkpoint and its result and metrics.

The key is a sha256 over everything that determines the baseline's checkpoint and its eval accuracy: M_0's
content hash (architecture, vocabulary, initial weights), the training set's hash, the supervised distill config,
the steps and training seed, the eval questions with their true answers, the answering settings, the versions of
torch and transformers, and the source of the modules that train and answer. So a hit is the checkpoint this run
would train, byte for byte: it is copied in, recorded as reused (`reused_from` in the phase result), and its
stored accuracy is used. A cache entry whose files no longer match its recorded hash is ignored (and replaced).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import transformers

import ida.distill as distill_package
from ida.results import BaselineResult
import ida.models as models_package
from ida.models.local import content_hash

FORMAT = 1


@dataclass(frozen=True)
class CachedBaseline:
    key: str
    checkpoint: Path
    result: dict[str, Any]
    metrics: dict[str, Any]


def source_hash() -> str:
    """Hash of the source of `ida.distill` and `ida.models`: code that could change the baseline's numbers."""
    digest = hashlib.sha256()
    for package in (distill_package, models_package):
        for path in sorted(Path(package.__file__).parent.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def baseline_key(parts: dict[str, Any]) -> str:
    """The cache key of a baseline described by `parts` (JSON-serialisable), plus versions and source."""
    full = {**parts, "format": FORMAT, "torch": torch.__version__, "transformers": transformers.__version__,
            "threads": torch.get_num_threads(),  # the summation order of the ops, so the last bits of the weights
            "source": source_hash()}
    return hashlib.sha256(json.dumps(full, sort_keys=True, default=str).encode()).hexdigest()


class BaselineCache:
    """`lookup` and `store` of baselines under `root` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "baseline"

    def lookup(self, key: str) -> CachedBaseline | None:
        entry = self.root / key
        try:
            record = json.loads((entry / "record.json").read_text())
        except (OSError, ValueError):
            return None
        checkpoint = entry / "checkpoint"
        expected = BaselineResult.model_validate(record["result"]).checkpoint_sha256
        if not checkpoint.is_dir() or content_hash(checkpoint) != expected:
            return None
        return CachedBaseline(key, checkpoint, record["result"], record["metrics"])

    def store(self, key: str, checkpoint: Path, result: dict[str, Any], metrics: dict[str, Any]) -> None:
        """Copy the checkpoint and write the record into a temp dir, then rename: readers never see half."""
        entry, tmp = self.root / key, self.root / f".{key}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(checkpoint, tmp / "checkpoint")
        (tmp / "record.json").write_text(json.dumps({"result": result, "metrics": metrics}, sort_keys=True))
        shutil.rmtree(entry, ignore_errors=True)
        tmp.rename(entry)


def run_baseline_key(run: Any, dataset: list, steps: int, seed: int, distill_cfg: Any) -> str:
    """The key of the baseline `run` would train (`run` is an open `ida.cycle.Run`)."""
    from ida.distill.data import _row

    cfg = run.config
    eval_qs = run.task.questions("eval")
    return baseline_key({
        "m0": content_hash(run.checkpoint(0)),
        "data": hashlib.sha256("".join(json.dumps(_row(e), sort_keys=True) + "\n"
                                       for e in dataset).encode()).hexdigest(),
        "distill": distill_cfg.model_dump(mode="json"), "steps": steps, "seed": seed,
        "eval": [(q.id, q.prompt, run.task.true_answer(q)) for q in eval_qs],
        "answering": {"max_answer_tokens": cfg.model.max_answer_tokens, "batch": cfg.model.answer_batch_size},
        "task": cfg.task.model_dump(mode="json")})
