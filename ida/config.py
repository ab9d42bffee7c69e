"""`RunConfig`: every knob of a run, as pydantic models loaded from YAML with `--set a.b=c` overrides.

An invalid config fails before any work, with the dotted path of the bad field in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskConfig(Section):
    name: str = Field("permutation", description="Built-in task: permutation, assignments, wildcard, shortest_path, union_find.")
    form: Literal["weights", "context"] = Field("weights", description="Facts in the weights (one fixed world) or in the context (a fresh world per question).")
    seed: int = Field(0, description="Seed of the task's world(s) and question sample.")
    params: dict[str, Any] = Field(default_factory=dict, description="Task size parameters passed to the task's constructor, e.g. {n_items: 32, max_k: 8}; empty: the task's own defaults.")


class ModelConfig(Section):
    n_layer: int = Field(2, ge=1, description="Transformer layers of the student (GPT-2 architecture, built in-process).")
    n_embd: int = Field(128, ge=8, description="Hidden width of the student.")
    n_head: int = Field(4, ge=1, description="Attention heads of the student.")
    n_positions: int = Field(256, ge=16, description="Longest sequence (prompt + answer) in tokens.")
    max_answer_tokens: int = Field(4, ge=1, description="Most tokens generated for one answer (greedy).")
    answer_batch_size: int = Field(512, ge=1, description="Prompts per forward pass when answering.")


class AmplifyConfig(Section):
    max_nodes: int = Field(256, ge=1, description="Budget: most subquestion nodes one graph may have.")
    max_depth: int = Field(64, ge=1, description="Budget: most waves one graph may take.")
    memo: bool = Field(True, description="Answer identical subquestions once per model version.")


class ReviewConfig(Section):
    policy: Literal["none", "simulated"] = Field("none", description="Who reviews amplified examples before training: none (all usable examples accepted) or simulated (an overseer program that checks each target against the true answer).")
    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="Simulated overseer: probability of giving the wrong verdict on an example.")


class DistillConfig(Section):
    objective: Literal["sft"] = Field("sft", description="Distillation loss (sft: cross-entropy on answer tokens only).")
    steps: int = Field(400, ge=1, description="Optimizer steps per cycle.")
    batch_size: int = Field(128, ge=1, description="Examples per optimizer step.")
    lr: float = Field(1e-3, gt=0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    init: Literal["continue", "fresh"] = Field("continue", description="Start each cycle's student from M_n (continue) or from a fresh initialisation.")


class EvalConfig(Section):
    baseline: bool = Field(True, description="Train the supervised baseline (true answers) for comparison.")
    baseline_steps: int | None = Field(None, ge=1, description="Baseline optimizer steps; default: the same total as the IDA run (max_cycles x distill.steps).")
    amplified: bool = Field(True, description="Also evaluate Amp(H, M_n), the amplified system, per difficulty.")


class TrackingConfig(Section):
    plot: bool = Field(True, description="Write capability.png into the run dir at the end of the run.")


class RunConfig(Section):
    task: TaskConfig = Field(default_factory=TaskConfig, description="Which task and world.")
    model: ModelConfig = Field(default_factory=ModelConfig, description="The student architecture and answering.")
    amplify: AmplifyConfig = Field(default_factory=AmplifyConfig, description="Amplification budgets.")
    review: ReviewConfig = Field(default_factory=ReviewConfig, description="Review policy.")
    distill: DistillConfig = Field(default_factory=DistillConfig, description="Distillation step.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="Evaluation and the supervised baseline.")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="Outputs beside the store.")
    seed: int = Field(0, description="Seed of model init, sampling and training.")
    max_cycles: int = Field(6, ge=1, le=1000, description="Number of amplify-distill cycles; bounds every run.")


class ConfigError(ValueError):
    """A config that does not validate; the message names each bad field by its dotted path."""


def parse_override(item: str) -> tuple[list[str], Any]:
    """`a.b=c` -> (["a", "b"], parsed c); the value is parsed as YAML so numbers and booleans keep their type."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} is not of the form key.path=value")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override {item!r} has an empty key")
    return key.strip().split("."), yaml.safe_load(raw) if raw else ""


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for item in overrides:
        path, value = parse_override(item)
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
            node = child
        node[path[-1]] = value
    return data


def validate(data: dict[str, Any]) -> RunConfig:
    try:
        return RunConfig.model_validate(data)
    except ValidationError as err:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})" for e in err.errors()]
        raise ConfigError("invalid config:\n" + "\n".join(lines)) from None


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Load YAML (the built-in defaults when `path` is None), apply `--set` overrides, validate.

    The built-in defaults are the embedded default run, the same as `configs/permutation.yaml`."""
    data = yaml.safe_load(Path(path).read_text()) or {} if path else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return validate(apply_overrides(data, overrides or []))


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
