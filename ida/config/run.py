"""`RunConfig`, the whole run: task, every phase's section, evaluation, tracking, seed and cycles."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ida.config.amplify import AmplifyConfig
from ida.config.distill import DistillConfig
from ida.config.models import ModelConfig
from ida.config.review import ReviewConfig
from ida.config.safety import SafetyConfig
from ida.config.section import MAX_SEED, Section
from ida.config.store import StoreConfig


class TaskConfig(Section):
    name: str = Field("permutation", description=(
        "Built-in task: permutation, assignments, wildcard, shortest_path, union_find, addition (multi-digit "
        "addition, held-out eval; params max_digits, eval_max_digits, split, n_train); or qa (questions from a JSONL "
        "file: params path, checker, tolerance, eval_fraction); or a task registered by `ida.register_task`, an "
        "`ida.tasks` entry point, or an import path module:Class (README: Your own task)."))
    form: Literal["weights", "context"] = Field("weights", description=(
        "Facts in the weights (one fixed world) or in the context (a fresh world per question)."))
    seed: int = Field(0, description="Seed of the task's world(s) and question sample.")
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "Task size parameters passed to the task's constructor, e.g. {n_items: 32, max_k: 8}; empty: the task's own "
        "defaults."))


class EvalConfig(Section):
    baseline: bool = Field(True, description="Train the supervised baseline (true answers) for comparison.")
    baseline_steps: int | None = Field(None, ge=1, description=(
        "Baseline optimizer steps; default: the same total as the IDA run (max_cycles x distill.steps)."))
    baseline_cache: bool = Field(True, description=(
        "Reuse an identical supervised baseline (same M_0, training data, distill config, steps, seed, eval "
        "questions, code) from the content-addressed cache `<runs root>/.cache/baseline/`, recorded as `reused_from` "
        "in the baseline phase; false: always train it (and do not store it)."))
    amplified: bool = Field(True, description="Also evaluate Amp(H, M_n), the amplified system, per difficulty.")
    frontier_threshold: float = Field(0.9, gt=0, le=1, description=(
        "Accuracy that defines the capability frontier: the largest difficulty at which a model reaches it on the "
        "held-out eval questions (and at every easier difficulty)."))


class TrackingConfig(Section):
    plot: bool = Field(True, description="Write capability.png into the run dir at the end of the run.")
    mlflow: bool = Field(False, description=(
        "Export every cycle's metrics to MLflow at the end of run/resume (needs the mlflow extra); cycle index as "
        "the step, dataset and checkpoint hashes as tags."))
    mlflow_uri: str | None = Field(None, description="MLflow tracking URI; None: a file store in <run dir>/mlruns.")
    mlflow_experiment: str = Field("ida", description="MLflow experiment the run is logged under.")


class CycleConfig(Section):
    on_empty: Literal["fail", "skip"] = Field("fail", description=(
        "A phase that produced nothing usable (amplify with 0 usable examples, e.g. an endpoint outage; review "
        "leaving an empty dataset): fail (the run stops as `failed`, the phase is not stored as done, so "
        "`ida resume` retries it) or skip (the empty cycle proceeds: distill keeps M_(n-1) as M_n)."))


class RunConfig(Section):
    task: TaskConfig = Field(default_factory=TaskConfig, description="Which task and world.")
    model: ModelConfig = Field(default_factory=ModelConfig, description="The student architecture and answering.")
    amplify: AmplifyConfig = Field(default_factory=AmplifyConfig, description="Amplification budgets.")
    review: ReviewConfig = Field(default_factory=ReviewConfig, description="Review policy.")
    distill: DistillConfig = Field(default_factory=DistillConfig, description="Distillation step.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="Evaluation and the supervised baseline.")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="Outputs beside the store.")
    cycle: CycleConfig = Field(default_factory=CycleConfig, description=(
        "What a cycle does when a phase produces nothing usable."))
    store: StoreConfig = Field(default_factory=StoreConfig, description=(
        "Where the run's tables live: the run dir's SQLite file (default) or a PostgreSQL database."))
    safety: SafetyConfig = Field(default_factory=SafetyConfig, description=(
        "Tripwire thresholds and monitor sets; fixed at run start (resume refuses a change)."))
    seed: int = Field(0, ge=0, le=MAX_SEED, description=(
        "Seed of model init, sampling and training; 0 to 2^30 - 1 (the per-phase torch seeds derived from it, up to "
        "about seed x 10^10, must fit torch.manual_seed's 64-bit range)."))
    max_cycles: int = Field(6, ge=1, le=1000, description="Number of amplify-distill cycles; bounds every run.")
