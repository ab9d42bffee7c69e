"""Position ids of a student's tokens: `sequential` (0, 1, 2, ... over the real tokens) or `coupled` (position
coupling, Cho et al. 2024; Abacus, McLeish et al. 2024): the count restarts after every separator token the task
declares, so digit i of each operand and of the answer share position i + 1 whatever the length.

    `4 9 + 7 0 + 1 = 2 0 1`  ->  sequential 0 1 2 3 4 5 6 7 8 9 10,  coupled 1 2 0 1 2 0 1 0 1 2 3

With coupled ids the token that predicts answer digit i sits one position (in id space) before operand digits
i, for every length, so a RoPE student learns one length-invariant rule. The scheme is a property of the
student: it is written into the model's config (`config.json`, so it is part of the checkpoint's content hash)
and read back from there by every place that runs the model (training, generation, evaluation, the teachers,
the safety probes) through `PositionScheme.of(model)`; a student saved without it is sequential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

SCHEME_KEY, SEPARATORS_KEY = "ida_position_scheme", "ida_position_separators"


@dataclass(frozen=True)
class PositionScheme:
    """`kind` sequential or coupled; `separator_ids`: the token ids after which coupled positions restart (a
    separator itself has position 0)."""

    kind: str = "sequential"
    separator_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, model: Any) -> PositionScheme:
        """The scheme saved in `model`'s config (through wrappers: DDP's `.module`, peft's base model)."""
        config = getattr(_unwrap(model), "config", None)
        kind = getattr(config, SCHEME_KEY, None) or "sequential"
        return cls(kind, tuple(getattr(config, SEPARATORS_KEY, None) or ()))

    def save_into(self, config: Any) -> None:
        """Record a coupled scheme in a transformers config (a sequential one writes nothing, so a default
        checkpoint's files, and hash, stay as they were)."""
        if self.kind != "sequential":
            setattr(config, SCHEME_KEY, self.kind)
            setattr(config, SEPARATORS_KEY, list(self.separator_ids))

    def ids(self, ids_B_T: torch.Tensor, mask_B_T: torch.Tensor) -> torch.Tensor:
        """Position ids of every token of left- or right-padded rows (padding gets 0; it is masked out)."""
        import torch  # here, so the config checks below load no torch

        index_B_T = mask_B_T.cumsum(-1) - 1  # the index among the row's real tokens
        if self.kind == "sequential":
            return index_B_T.clamp(min=0)
        sep = torch.tensor(self.separator_ids, dtype=ids_B_T.dtype, device=ids_B_T.device)
        is_sep_B_T = torch.isin(ids_B_T, sep) & mask_B_T.bool()
        last_sep_B_T = torch.where(is_sep_B_T, index_B_T, torch.full_like(index_B_T, -1)).cummax(-1).values
        return torch.where(mask_B_T.bool(), index_B_T - last_sep_B_T, torch.zeros_like(index_B_T))

    def next(self, last_B: torch.Tensor, next_ids_B: torch.Tensor) -> torch.Tensor:
        """The position of each row's next token from its last token's position (generation's KV-cache step)."""
        import torch

        if self.kind == "sequential":
            return last_B + 1
        sep = torch.tensor(self.separator_ids, dtype=next_ids_B.dtype, device=next_ids_B.device)
        return torch.where(torch.isin(next_ids_B, sep), torch.zeros_like(last_B), last_B + 1)

    def forward_kwargs(self, ids_B_T: torch.Tensor, mask_B_T: torch.Tensor) -> dict[str, torch.Tensor]:
        """Extra forward() arguments for a full (right-padded) sequence: none for sequential, which keeps the
        model's own default positions (the numbers of a default run stay bit for bit), else `position_ids`."""
        return {} if self.kind == "sequential" else {"position_ids": self.ids(ids_B_T, mask_B_T)}


def _unwrap(model: Any) -> Any:
    for _ in range(4):  # DDP -> peft -> base model, at most a few layers deep
        inner = getattr(model, "module", None)
        if inner is None and hasattr(model, "get_base_model"):
            inner = model.get_base_model()
        if inner is None or inner is model:
            return model
        model = inner
    return model


def separator_ids(tokenizer: Any, separators: list[str] | tuple[str, ...]) -> tuple[int, ...]:
    """The ids of the separator tokens (each must be one token of the vocabulary)."""
    ids = [tokenizer.convert_tokens_to_ids(s) for s in separators]
    if any(i is None or i == tokenizer.unk_token_id for i in ids):
        raise ValueError(f"model.position_separators: {list(separators)} are not all tokens of the vocabulary")
    return tuple(ids)


def check_positions(config: Any, task: Any) -> None:
    """ValueError (one line naming the field) when coupled positions have no separators to restart at, name
    tokens the task never writes, or would be served by vLLM (which computes its own positions); run before the
    run dir exists."""
    model_cfg = config.model
    if model_cfg.position_scheme == "sequential":
        return
    if config.amplify.answerer.kind == "vllm":
        raise ValueError("amplify.answerer.kind: vllm computes sequential positions itself; a student with "
                         "model.position_scheme=coupled answers locally (answerer.kind local)")
    separators = task_separators(model_cfg, task)
    if not separators:
        raise ValueError(f"model.position_scheme: coupled positions restart at separator tokens, and task "
                         f"{task.name!r} declares none; set model.position_separators or use sequential")
    unknown = sorted(set(separators) - set(task.vocabulary()))
    if unknown:
        raise ValueError(f"model.position_separators: {unknown} are not tokens of task {task.name!r}")


def task_separators(model_cfg: Any, task: Any) -> tuple[str, ...]:
    """The config's separators, else the ones the task declares (`Task.position_separators`)."""
    if model_cfg.position_separators is not None:
        return tuple(model_cfg.position_separators)
    return tuple(task.position_separators or ())
