"""The review phase: who reviews, what, and who gets the budget; the human-as-H workspaces."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ida.config.section import Section


class ReviewConfig(Section):
    policy: str = Field("none", description=(
        "Who reviews amplified examples before training: none (all usable examples accepted), simulated (an overseer "
        "program that checks each target against the true answer) or human (overseers in the browser: `ida review "
        "RUN_DIR`); or a registered policy, an `ida.review_policies` entry point, or an import path module:attr."))
    error_rate: float = Field(0.0, ge=0.0, le=1.0, description=(
        "Simulated overseer: probability of giving the wrong verdict on an example."))
    unit: Literal["example", "node", "both"] = Field("example", description=(
        "What is reviewed: example (the amplified answer of a whole question), node (each model-answered "
        "subanswer, once per memo key; an edit or reject propagates to every graph that used it) or both."))
    sampling: Literal["random", "stratified", "uncertainty"] = Field("stratified", description=(
        "Which items get the review budget (human and simulated), seeded: random, stratified (an equal share per "
        "difficulty) or uncertainty (the least confident (sub)answers first). The queue serves items in this order."))
    include_h_only: bool = Field(False, description=(
        "Also review examples H answered alone (no model-answered subquestion in the graph); false: they are "
        "accepted as H's own answers and never sent to people."))
    show_truth: bool = Field(False, description=(
        "Expose the true answer to reviewers (calibration studies only); false: never shown."))
    sample_rate: float = Field(1.0, ge=0.0, le=1.0, description=(
        "Human and simulated: share of a cycle's reviewable items (usable examples or model-answered nodes) that "
        "are reviewed."))
    quota: int | None = Field(None, ge=0, description=(
        "Human and simulated: most items reviewed per cycle (after sampling); null: no limit."))
    wait: bool = Field(True, description=(
        "Human: the review phase waits until every queued example has its verdicts; false: it goes on at once and "
        "applies `unreviewed`."))
    unreviewed: Literal["exclude", "include"] = Field("exclude", description=(
        "Human (and simulated with sample_rate < 1): what happens to usable examples without a verdict when the "
        "phase ends (not sampled, or not yet reviewed with wait: false): left out of training, or trained on as "
        "they are."))
    lease_minutes: float = Field(5.0, gt=0, description=(
        "Human: how long a claimed item stays with its overseer before it returns to the queue."))
    overlap: float = Field(0.0, ge=0.0, le=1.0, description=(
        "Human: share of queued items served to two different overseers, to measure their agreement (the cycle then "
        "waits for both)."))
    disputes: Literal["hold", "majority", "strictest"] = Field("hold", description=(
        "Human, overlap: what two verdicts on one item that disagree do: hold (the item trains on nothing until an "
        "admin decides on the Adjudicate page), majority (the most common outcome; a tie falls to the strictest) or "
        "strictest (reject > edit > accept)."))
    propagate: Literal["off", "preview", "on"] = Field("preview", description=(
        "Human, unit node/both: off (a node verdict changes no other target), preview (before a node edit or "
        "reject is saved the overseer sees the training targets it will create or change, recomputed by the "
        "task's program) or on (propagated without the preview)."))
    trusted_proxies: list[str] = Field(default_factory=list, description=(
        "The oversight app: addresses of reverse proxies whose X-Forwarded-For header is believed (for the login "
        "lockout and the audit log); empty: forwarded headers are ignored and the peer's address is used."))
    poll_seconds: float = Field(2.0, gt=0, description=(
        "Human, wait: how often the waiting review phase looks at the store."))
    workspace_minutes: float = Field(5.0, gt=0, description=(
        "amplify.decomposer=human: how long a claimed workspace stays with its overseer before it returns to the "
        "queue (its subquestions kept)."))
    workspaces: int = Field(4, ge=1, le=10000, description=(
        "amplify.decomposer=human: how many train questions per cycle (a seeded sample) queue as workspaces; the "
        "amplify phase waits until every one is finished (review.wait) or takes those finished."))
    max_subquestion_chars: int = Field(300, ge=10, le=10000, description=(
        "amplify.decomposer=human: longest subquestion an overseer may write (limits on count and chain length: "
        "amplify.llm_decomposer)."))
