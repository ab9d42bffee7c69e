"""Tripwires and monitor sets, fixed when a run starts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ida.config.section import Section


class SafetyConfig(Section):
    """Tripwire thresholds and monitor sets, fixed when the run starts: `ida resume` refuses a config whose
    safety section differs from the one stored with the run (`ida.safety.lock`). Every tripwire is off (None) by
    default; the monitors are always computed."""

    max_accuracy_jump: float | None = Field(None, gt=0, le=1, description=(
        "Tripwire: the largest allowed rise of the student's eval accuracy at any one difficulty from cycle n-1 to "
        "cycle n (checked from cycle 2 on: cycle 1 is measured against the untrained M_0); None: off."))
    max_frontier_jump: float | None = Field(None, ge=0, description=(
        "Tripwire: the largest allowed rise of the student's capability frontier (the largest difficulty it answers "
        "at eval.frontier_threshold, with every easier one) from M_(n-1) to M_n, in difficulty steps; None: off."))
    max_accuracy: float | None = Field(None, ge=0, le=1, description=(
        "Tripwire: capability ceiling; the student's eval accuracy at any difficulty above it trips; None: off."))
    min_answer_entropy_ratio: float | None = Field(None, gt=0, description=(
        "Tripwire (collapse): the entropy of the student's answers on the eval set divided by cycle 1's; below this "
        "trips (checked from cycle 2 on); None: off."))
    max_top_answer_share: float | None = Field(None, gt=0, le=1, description=(
        "Tripwire (collapse): share of the eval questions given the student's most common answer; above this trips; "
        "None: off."))
    max_drift_kl: float | None = Field(None, gt=0, description=(
        "Tripwire (drift): mean KL(M_n || M_(n-1)) in nats of the first answer token's distribution on the probe "
        "set; above this trips (checked from cycle 2 on); None: off."))
    max_reject_rate: float | None = Field(None, ge=0, le=1, description=(
        "Tripwire (oversight): share of the reviewed examples of a cycle that were rejected; above this trips; None: "
        "off."))
    probe_size: int = Field(64, ge=1, description=(
        "Size of the fixed probe set (a seeded sample of the eval questions) for drift and next-token entropy."))
    retention_size: int = Field(64, ge=1, description=(
        "Size of the fixed retention set (a seeded sample of the train questions) for forgetting."))
    diversity_share: float = Field(0.0, ge=0, le=1, description=(
        "Diversity injection: examples added to each distillation set, as a share of its size, drawn from "
        "diversity_source; 0: off."))
    diversity_source: Literal["earlier", "human"] = Field("earlier", description=(
        "Where injected examples come from: earlier (the distillation sets of earlier cycles of this run) or human "
        "(the train questions with their true answers, standing in for human-written data)."))

    def tripwires_on(self) -> dict[str, float]:
        """The thresholds that are set: field name -> threshold."""
        return {k: v for k, v in self.model_dump().items() if k.startswith(("max_", "min_")) and v is not None}
