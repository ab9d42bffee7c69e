"""`VLLMAnswerer`: the current student M_n answering through an in-process vLLM engine (`amplify.answerer.kind:
vllm`, GPU; `pip install 'ida-harness[vllm]'`).

The engine loads the checkpoint dir of M_n (an adapter checkpoint is merged into a temporary full checkpoint
first), so each cycle's amplifier starts a fresh engine on that cycle's weights and `close()` frees the GPU
memory before distillation needs it. Prompts go in as token ids rendered by the student's own
`StudentTokenizer` (the same plain or chat rendering as training), all in one batched `LLM.generate` call, greedy,
stopping at the student's stop tokens, with the log-prob of every generated token. The `version` is the
student's, so the executor's memo is shared with the transformers path.

Written against vLLM's documented offline API (`LLM`, `SamplingParams`, `TokensPrompt`, `CompletionOutput.logprobs`
as one {token id: Logprob} dict per generated token); not run on this project's CPU machines.
"""

from __future__ import annotations

import gc
import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

from decomposition.answerer import Answer
from ida.config import VLLMConfig

INSTALL_HINT = "pip install 'ida-harness[vllm]' on a CUDA machine"


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def require_vllm() -> None:
    """ValueError in one line when vLLM is not importable (checked at run start, before any work)."""
    if not vllm_available():
        raise ValueError(f"amplify.answerer.kind: vllm, but vLLM is not installed here ({INSTALL_HINT})")


class VLLMAnswerer:
    """An `Answerer` over a vLLM engine loaded from a student checkpoint (see the module docstring)."""

    def __init__(self, student: Any, cfg: VLLMConfig, seed: int = 0) -> None:
        require_vllm()
        from vllm import LLM

        self.tokenizer, self.version = student.tokenizer, student.version
        self.usage = None  # the student costs no tokens to call
        self.max_answer_tokens = student.max_answer_tokens
        self._tmp: Path | None = None
        path = Path(student.path) if student.path is not None else self._save_merged(student)
        if (path / "adapter_config.json").exists():
            path = self._save_merged(student)  # vLLM reads full weights; the student holds them merged
        self.llm = LLM(model=str(path), tokenizer=str(path), dtype=cfg.dtype, seed=seed,
                       gpu_memory_utilization=cfg.gpu_memory_utilization, max_model_len=cfg.max_model_len,
                       tensor_parallel_size=cfg.tensor_parallel_size, enforce_eager=cfg.enforce_eager)

    def _save_merged(self, student: Any) -> Path:
        self._tmp = Path(tempfile.mkdtemp(prefix="ida-vllm-"))
        student.save(self._tmp)
        return self._tmp

    def answer(self, prompts: list[str]) -> list[Answer]:
        """Greedy answers, at most `max_answer_tokens` + the stop token, with per-token log-probs."""
        gens = self.generate(prompts, max_new_tokens=self.max_answer_tokens + 1)
        return [Answer(text=text, logprobs=logprobs) for text, logprobs in gens]

    def generate(self, prompts: list[str], max_new_tokens: int, temperature: float = 0.0,
                 seed: int | None = None) -> list[tuple[str, tuple[float, ...]]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if not prompts:
            return []
        params = SamplingParams(temperature=temperature, max_tokens=max_new_tokens, logprobs=0, seed=seed,
                                stop_token_ids=list(self.tokenizer.stop_ids), skip_special_tokens=False)
        inputs = [TokensPrompt(prompt_token_ids=self.tokenizer.encode(p)) for p in prompts]
        outputs = self.llm.generate(inputs, params, use_tqdm=False)
        return [_text_and_logprobs(out.outputs[0], self.tokenizer) for out in outputs]

    def close(self) -> None:
        """Shut the engine down and free its GPU memory (the next cycle loads new weights)."""
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            try:
                from vllm.distributed.parallel_state import cleanup_dist_env_and_memory

                del llm
                cleanup_dist_env_and_memory()
            except ImportError:  # older vLLM
                del llm
            gc.collect()
            try:
                import torch

                torch.cuda.empty_cache()
            except Exception:  # noqa: BLE001 (no CUDA: nothing to free)
                pass
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _text_and_logprobs(completion: Any, tokenizer: Any) -> tuple[str, tuple[float, ...]]:
    ids = list(completion.token_ids)
    per_token = completion.logprobs or []
    logprobs = tuple(float(step[t].logprob) for t, step in zip(ids, per_token) if t in step)
    return tokenizer.decode_answer(ids), logprobs
