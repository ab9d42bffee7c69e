"""The typed result of every phase, as the store keeps it (one JSON object per phase) and as ida reads it back.

    result = ReviewResult(accept=3, ..., dataset_sha256=digest)      # a phase builds its result
    run.records.finish_phase(cycle, "review", result.stored(), ...)  # the same JSON keys as ever
    typed_result("review", stored_dict).dataset_sha256                 # read back, typed

Keys that are not always there (a vote, usage of an LLM answerer, a plug-in policy's own counts) are optional
fields; `stored()` writes only the fields a phase set, so stored runs keep exactly their keys. A plug-in (a review
policy's counts) may add keys no model declares: they are kept and read as attributes (`extra="allow"`).

Adding a field: declare it on the phase's model with a default and a description (`window: CurriculumWindow |
None = Field(None, description=...)`), then pass it where the phase builds its result. Old runs read back with
the default; the report and its JSON Schema (`ida report --schema`) pick it up where the report shows it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PhaseResult(BaseModel):
    """What every phase stores; each phase's model adds its own fields."""

    model_config = ConfigDict(extra="allow")

    seconds: float = Field(0.0, description="Wall-clock seconds the phase took.")

    def stored(self) -> dict[str, Any]:
        """The JSON object the store keeps: the fields this phase set (and any extra keys), nothing else."""
        return self.model_dump(mode="json", exclude_unset=True)


class CurriculumWindow(BaseModel):
    """The difficulties one cycle amplified (`amplify.curriculum`, `ida.amplify.curriculum.Window`)."""

    kind: str = Field(description="amplify.curriculum.kind: all, schedule or frontier.")
    low: int = Field(description="The easiest difficulty amplified.")
    high: int = Field(description="The hardest difficulty amplified.")
    estimated_frontier: int | None = Field(None, description="frontier: the label-free estimate it came from.")
    probe: dict[str, float] = Field(default_factory=dict, description=(
        "frontier: the label-free score per difficulty probed (keys: difficulties)."))


class FilterCount(BaseModel):
    kept: int = Field(0, description="Targets the filter let through.")
    dropped: int = Field(0, description="Targets it dropped (their answer becomes unknown).")


class AmplifyResult(PhaseResult):
    examples: int = Field(0, description="Train questions amplified this cycle.")
    usable: int = Field(0, description="Examples with an answer that can become a target.")
    failed: int = Field(0, description="Examples whose graph failed (no answer).")
    targets_right: int = Field(0, description="Amp answers equal to the true answer (for the report only).")
    answerer: str | None = Field(None, description="The answerer's model version (e.g. M2, or an endpoint's).")
    overseer: str | None = Field(None, description="Who played H (provenance).")
    unsure_subanswers: int | None = Field(None, description="Subanswers below amplify.min_confidence.")
    decomposer_failures: int = Field(0, description="LLM plans that were rejected.")
    target_unknown_tokens: int = Field(0, description="Target words outside the student's vocabulary.")
    decomposer_failure_reasons: dict[str, list[str]] | None = Field(None, description="Up to 20 questions' reasons.")
    failure_reasons: dict[str, str] | None = Field(None, description="Up to 20 failed questions' errors.")
    usage: dict[str, float] | None = Field(None, description="Tokens, cost, retries of an LLM answerer.")
    vote: dict[str, Any] | None = Field(None, description="amplify.vote: samples, agreement.")
    window: CurriculumWindow | None = Field(None, description="The cycle's curriculum window (amplify.curriculum).")
    filters: dict[str, FilterCount] | None = Field(None, description=(
        "Kept/dropped per target filter: truncated (always), format, confidence, vote."))


class Diversity(BaseModel):
    share: float = Field(description="safety.diversity_share")
    source: str = Field(description="safety.diversity_source")
    mixed: int = Field(description="Injected examples.")


class ReviewResult(PhaseResult):
    accept: int = Field(0, description="Examples a reviewer accepted.")
    edit: int = Field(0, description="Examples a reviewer edited.")
    reject: int = Field(0, description="Examples a reviewer rejected.")
    train_examples: int = Field(0, description="Rows of the cycle's dataset.jsonl.")
    dataset_sha256: str | None = Field(None, description="sha256 of the cycle's dataset.jsonl.")
    policy: str | None = Field(None, description="review.policy")
    diversity: Diversity | None = Field(None, description="Diversity injection into the dataset.")
    queued: int | None = Field(None, description="Items queued for overseers (human policy).")
    human_verdicts: int | None = Field(None, description="Verdicts given (human policy).")
    verdicts_wanted: int | None = Field(None, description="Verdicts asked for (human policy).")
    unreviewed: int | None = Field(None, description="Examples trained on without a verdict.")
    wrong_targets: int | None = Field(None, description="Usable targets that were wrong (simulated, human).")
    wrong_caught: int | None = Field(None, description="Wrong targets a reviewer rejected or fixed.")
    wrong_trained: int | None = Field(None, description="Wrong targets that went into the dataset.")
    unreviewed_rule: str | None = Field(None, description="review.unreviewed")
    propagated: list[dict[str, Any]] | None = Field(None, description="Node verdicts propagated to examples.")
    agreement: float | None = Field(None, description="Overseers' agreement on the overlap slice.")
    propagated_count: int | None = Field(None, description="Examples whose target a node verdict changed.")


class DistillResult(PhaseResult):
    train_steps: int = Field(0, description="Optimizer steps taken.")
    train_examples: int = Field(0, description="Rows trained on.")
    final_loss: float | None = Field(None, description="Loss at the last step (None: nothing trained).")
    checkpoint_sha256: str | None = Field(None, description="Content hash of the saved checkpoint.")
    stopped_when_fit: int | None = Field(None, description="distill.stop_when_fit: the step it stopped at.")
    skipped: str | None = Field(None, description="Why nothing was trained (cycle.on_empty: skip).")


class BaselineResult(DistillResult):
    reused_from: str | None = Field(None, description="Cache key of an identical baseline reused.")


class EvaluateResult(AmplifyResult):
    """Evaluation of M_n alone and amplified; an amplifier other than the task's H with the student records the
    same fields as the amplify phase."""


class MonitorResult(PhaseResult):
    alerts: int = Field(0, description="Tripwires that fired this cycle.")
    tripped: list[str] = Field(default_factory=list, description="Their names.")


class SignOff(BaseModel):
    by: str
    note: str


class PromoteResult(PhaseResult):
    promoted: bool = Field(True, description="M_n became the student of the next cycle.")
    checkpoint: str | None = Field(None, description="The promoted checkpoint's folder.")
    signed_off: list[SignOff] | None = Field(None, description="Sign-offs that released a paused promotion.")


RESULT_TYPES: dict[str, type[PhaseResult]] = {
    "amplify": AmplifyResult, "review": ReviewResult, "distill": DistillResult, "evaluate": EvaluateResult,
    "monitor": MonitorResult, "promote": PromoteResult, "baseline": BaselineResult}


def typed_result(phase: str, stored: dict[str, Any]) -> PhaseResult:
    """A stored phase result as its model (an unknown phase: the common fields plus its keys)."""
    return RESULT_TYPES.get(phase, PhaseResult).model_validate(stored)
