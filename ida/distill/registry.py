"""The registry of distillation objectives (`distill.objective`, and the keys of `distill.weights` with `mix`).

Each objective is an `ObjectiveProvider` saying which stream of the training step it is computed on:

- `data`: the amplified dataset's rows; `loss(logits_B_T_V, labels_B_T) -> (sum_loss, n_tokens)` sums the loss
  over the answer tokens (labels are -100 on prompt and padding; logits at t predict token t + 1) and says how
  many tokens it summed; the trainer normalises by the tokens of the whole step. `sft` is one.
- `kd`: soft targets of the frozen teacher on the same rows (the trainer's own, `needs_teacher`).
- `samples`: the student's own samples scored by the teacher (`on_policy`, the trainer's own).

A plug-in (`register_objective`, an `ida.objectives` entry point or `module:attr`) is an `ObjectiveProvider` or
a plain `loss` function, which becomes a `data` objective. No torch here: configs are checked without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ida.plugins import PluginError, Registry, require_callable

FIELD = "distill.objective"
MIX = "mix"  # not an objective: `distill.weights` names the mixed ones


@dataclass(frozen=True)
class ObjectiveProvider:
    """One distillation loss (see the module docstring)."""

    stream: Literal["data", "kd", "samples"] = "data"
    loss: Callable[[Any, Any], Any] | None = None
    needs_teacher: bool = False


def _sft(logits_B_T_V: Any, labels_B_T: Any) -> Any:
    from ida.distill.objectives import sft_loss

    return sft_loss(logits_B_T_V, labels_B_T)


def adapt_objective(obj: Any, where: str) -> ObjectiveProvider:
    if isinstance(obj, ObjectiveProvider):
        if obj.stream == "data" and not callable(obj.loss):
            raise PluginError(f"{where}: a data objective needs a loss(logits_B_T_V, labels_B_T) function")
        return obj
    require_callable(obj, where, "the objective")
    return ObjectiveProvider(stream="data", loss=obj)


OBJECTIVES: dict[str, ObjectiveProvider] = {}
OBJECTIVE_REGISTRY: Registry[ObjectiveProvider] = Registry("objective", FIELD, "ida.objectives", entries=OBJECTIVES,
                                                           adapt=adapt_objective)


def register_objective(name: str, objective: ObjectiveProvider | Callable[[Any, Any], Any]) -> None:
    """Make `objective` (a provider or a data loss function) known as `distill.objective` / a `mix` weight."""
    if name == MIX:
        raise PluginError(f"{FIELD}: {MIX!r} is reserved for mixtures")
    OBJECTIVE_REGISTRY.register(name, adapt_objective(objective, f"objective {name!r}"))


def objective_provider(name: str) -> ObjectiveProvider:
    """The objective `name`: registered, an `ida.objectives` entry point, or `module:attr` (PluginError else)."""
    return OBJECTIVE_REGISTRY.get(name)


register_objective("sft", ObjectiveProvider("data", _sft))
register_objective("kd", ObjectiveProvider("kd", needs_teacher=True))
register_objective("on_policy", ObjectiveProvider("samples", needs_teacher=True))
