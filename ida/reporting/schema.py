"""The report of a run as a typed model: `ida report --json` prints `Report`'s serialisation and
`ida report --schema` its JSON Schema. `build_report` fills it from the store (no task models, no torch)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["created", "running", "paused", "finished", "failed", "interrupted"]


class CycleRow(BaseModel):
    """One finished (evaluated) cycle."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="The cycle n (M_n distilled from Amp(H, M_(n-1))).")
    student: dict[str, float] = Field(description="M_n's eval accuracy per difficulty (keys: difficulties).")
    amplified: dict[str, float] = Field(description="Amp(H, M_n)'s eval accuracy per difficulty ({} if not run).")
    frontier: dict[str, float] = Field(description=(
        "student and amplified frontier, change since the previous cycle; extrapolation and trained_max for "
        "tasks that evaluate beyond their trained lengths."))
    train_examples: int = Field(description="Rows of the cycle's distillation set.")
    train_steps: int = Field(description="Distillation steps of the cycle.")
    seconds: float = Field(description="Wall-clock seconds of the cycle's phases.")
    window: dict[str, Any] | None = Field(None, description=(
        "The curriculum window the cycle amplified: kind, low, high, estimated_frontier (None: runs before it)."))
    filters: dict[str, dict[str, int]] = Field(default_factory=dict, description=(
        "Targets kept and dropped per target filter (truncated, format, confidence, vote)."))


class BaselineRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervised: dict[str, float] = Field(description="The supervised baseline's accuracy per difficulty.")
    train_steps: int = Field(description="Its training steps.")


class Disputes(BaseModel):
    """Overlap disagreements of one cycle and how they were settled (`ida.review.disputes`)."""

    disputes: int = Field(description="Items two overseers gave different verdicts.")
    adjudicated: int = Field(description="Disputes an admin decided.")
    held: int = Field(description="Disputes still waiting for an admin (review.disputes=hold): trained on nothing.")
    by_rule: int = Field(description="Disputes settled by review.disputes (majority or strictest).")
    decisions: dict[str, int] = Field(description="Admins' decisions by verdict.")
    rule: str = Field(description="review.disputes")
    kappa: float | None = Field(description="Cohen's kappa between overseers on the overlap slice (None: no pairs).")
    overlap_items: int = Field(description="Items with two verdicts.")


class OversightRow(BaseModel):
    """One reviewed cycle: its training targets by provenance, and its disputes."""

    index: int = Field(description="The cycle.")
    provenance: dict[str, int] = Field(description="Targets by provenance: verified, propagated, model.")
    provenance_by_difficulty: dict[str, dict[str, int]] = Field(
        description="{provenance: {difficulty: targets}} (difficulty keys are strings).")
    disputes: Disputes = Field(description="Disputes, adjudications and agreement.")


class Report(BaseModel):
    """The per-cycle capability report of one run."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(description="The run's id (its folder's name).")
    task: str = Field(description="task.name of the run.")
    status: Status = Field(description="running, paused, finished, failed or interrupted.")
    reason: str | None = Field(description="One line on why the run stopped, or None.")
    cycles: list[CycleRow] = Field(description="Every evaluated cycle, in order.")
    baseline: BaselineRow | None = Field(description="The supervised baseline, None until trained.")
    oversight: list[OversightRow] = Field(default_factory=list, description=(
        "Per reviewed cycle: targets by provenance and disputes (empty when nothing was reviewed)."))

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def report_schema() -> dict[str, Any]:
    """The JSON Schema of `ida report --json`."""
    return Report.model_json_schema()
