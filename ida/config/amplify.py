"""The amplify phase: budgets, who decomposes, who answers, self-improvement by vote."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ida.config.models import AnswererConfig
from ida.config.section import Section


class LLMDecomposerConfig(Section):
    max_subquestions: int = Field(8, ge=1, le=64, description=(
        "Most subquestions one plan may have; a longer plan is invalid."))
    max_depth: int = Field(4, ge=1, le=16, description="Longest chain of dependent subquestions in one plan.")
    retries: int = Field(1, ge=0, le=5, description=(
        "Re-asks (with the rejection reason shown) after an invalid plan, before answering directly."))


class VoteConfig(Section):
    samples: int = Field(5, ge=2, description=(
        "k: answers sampled per question (k passes of the amplifier, each with the student sampling at "
        "`temperature` under its own seed); at least 2, or there is nothing to vote on."))
    temperature: float = Field(1.0, gt=0, description=(
        "Sampling temperature of the student's answers in the vote passes."))
    min_agreement: float = Field(0.6, gt=0, le=1, description=(
        "Share of the k samples that must give the majority answer for it to become the target; below, the example "
        "is dropped (counted in the amplify phase's `vote` result)."))
    models: int = Field(1, ge=1, le=16, description=(
        "Vote over the last k models (Lee et al.'s multi-model vote): M_(n-1), M_(n-2), ... (as many as exist) each "
        "run `samples` sampled passes and every pass counts once in the vote. 1: only M_(n-1) (the default)."))


class CurriculumConfig(Section):
    kind: Literal["all", "frontier", "schedule"] = Field("all", description=(
        "Which train difficulties a cycle amplifies (its window, [the task's lowest difficulty, high]): all (every "
        "train question, the default), frontier (high from the student's frontier estimated without labels: "
        "floor(ahead x frontier), or frontier + step) or schedule (high = start + step x (cycle - 1), or "
        "start x factor^(cycle - 1)). Questions outside the window are not amplified that cycle."))
    ahead: float = Field(2.0, gt=0, description=(
        "frontier: the window's high is floor(ahead x the estimated frontier) (2: halving H can double it)."))
    step: int | None = Field(None, ge=1, description=(
        "frontier: high = estimated frontier + step instead of ahead x frontier; schedule: high grows by step a "
        "cycle. None: frontier uses ahead, schedule uses factor."))
    start: int = Field(1, ge=1, description=(
        "The first cycle's high (schedule), and frontier's high while the estimated frontier is 0."))
    factor: float | None = Field(None, gt=1, description=(
        "schedule: high = floor(start x factor^(cycle - 1)); must be above 1. Give step or factor, not both."))
    probe_questions: int = Field(32, ge=1, description=(
        "frontier estimate: unlabelled train questions sampled per difficulty (seeded per cycle; never an eval "
        "question, never a true answer)."))
    probe_samples: int = Field(4, ge=1, description=(
        "frontier estimate: answers the student samples per probe question (temperature 1). >= 2: the label-free "
        "score is self-consistency (share of samples giving the most common well-formed answer); 1: the greedy "
        "answer's confidence (product of its token probabilities), 0 when it is not well-formed."))
    threshold: float = Field(0.9, gt=0, le=1, description=(
        "frontier estimate: a difficulty counts as known when the mean label-free score of its probe questions "
        "reaches this; the estimated frontier is the largest difficulty known with every easier one."))

    @model_validator(mode="after")
    def _one_growth(self) -> CurriculumConfig:
        if self.kind == "schedule" and (self.step is None) == (self.factor is None):
            raise ValueError("step: a schedule curriculum needs exactly one of step and factor")
        if self.kind == "frontier" and self.factor is not None:
            raise ValueError("factor: only used with kind schedule (frontier grows by ahead or step)")
        return self


class FiltersConfig(Section):
    format: bool = Field(False, description=(
        "Drop targets whose answer does not have the form and length the task says it must (e.g. addition: n + 1 "
        "digits, the last a carry); read from the question alone, never from a true answer."))
    min_confidence: float | None = Field(None, gt=0, le=1, description=(
        "Drop targets whose confidence (the product over the example's model-answered subanswers of their "
        "probabilities; 1 when H answered alone) is below this. None: off."))


class RayConfig(Section):
    address: str | None = Field(None, description=(
        "The Ray cluster to use (host:port of its head, ray://host:port, or auto); None: a local Ray runtime on "
        "127.0.0.1 is started for each amplify phase and stopped after it."))
    num_workers: int = Field(2, ge=1, le=1024, description=(
        "Ray actors per amplify phase; each holds the current checkpoint and amplifies a shard of the questions."))
    resources: dict[str, float] = Field(default_factory=lambda: {"CPU": 1.0}, description=(
        "Resources each actor asks for, e.g. {CPU: 1} or {CPU: 2, GPU: 1} (one GPU per worker)."))
    max_restarts: int = Field(2, ge=0, le=100, description=(
        "How often Ray restarts a worker that died mid-phase (its shard is then retried: max_task_retries too)."))


class AmplifyConfig(Section):
    max_nodes: int = Field(256, ge=1, description="Budget: most subquestion nodes one graph may have.")
    max_depth: int = Field(64, ge=1, description="Budget: most waves one graph may take.")
    memo: bool = Field(True, description="Answer identical subquestions once per model version.")
    min_confidence: float | None = Field(None, gt=0, le=1, description=(
        "Amplify phase, local answerer: a subanswer the student gives with probability (product over its tokens) "
        "below this counts as unknown, so H leaves the target out of training instead of building it on a guess. "
        "None: every subanswer is used. Evaluation's Amp(student) never filters."))
    answerer: AnswererConfig = Field(default_factory=AnswererConfig, description=(
        "Who answers the subquestions (and, with decomposer=llm, writes the plans): the student M_n (local, "
        "default), an OpenAI-compatible endpoint or a LangChain chat model."))
    decomposer: str = Field("task", description=(
        "Who decomposes: task (H, the task's own program; default), llm (the answerer proposes validated subquestion "
        "plans; needs answerer.kind openai or langchain), direct (no decomposition: the answerer answers each "
        "question) or human (overseers decompose sampled questions in the app's workspace page; see "
        "review.workspaces); or a registered decomposer, an `ida.decomposers` entry point, or an import path "
        "module:attr."))
    llm_decomposer: LLMDecomposerConfig = Field(default_factory=LLMDecomposerConfig, description=(
        "decomposer=llm: plan limits and retries."))
    depth: int = Field(1, ge=1, le=8, description=(
        "HCH-style recursion: subquestions are decomposed again until this depth (1: the decomposer's subquestions "
        "go straight to the answerer)."))
    vote: VoteConfig | None = Field(None, description=(
        "Self-improvement by majority vote (amplify phase, local answerer): the amplifier runs k times with the "
        "student sampling, the majority answer becomes the target when enough samples agree, else the example is "
        "dropped. With decomposer=direct this is the STaR/RFT-style loop (the student's own answers, filtered); with "
        "decomposer=task it votes over Amp's answers. None: off (one greedy pass)."))
    curriculum: CurriculumConfig = Field(default_factory=CurriculumConfig, description=(
        "Difficulty curriculum: which train difficulties each cycle amplifies (its window; stored per cycle and "
        "shown in reports). Default kind all: every train question, every cycle."))
    filters: FiltersConfig = Field(default_factory=FiltersConfig, description=(
        "Target filters after amplification (and the vote): format/length and confidence, each with kept/dropped "
        "counts in the amplify phase's result. Truncated generations (no EOS within model.max_answer_tokens) are "
        "always dropped and counted, whatever these say."))
    leaves_by_h: bool = Field(False, description=(
        "decomposer=direct: questions H answers itself without subquestions (the task's simplest, e.g. one-digit "
        "sums) get H's answer, the rest the answerer's; gives self-improvement the same base knowledge as IDA's H. "
        "False: the answerer answers every question."))

    executor: Literal["local", "ray"] = Field("local", description=(
        "Where an amplify phase's graphs run: local (this process, default) or ray (the questions sharded over "
        "Ray actors, each with the current checkpoint; the examples come back to this process, which alone "
        "writes the store, in the phase's one transaction). ray needs the ray extra, answerer.kind local, "
        "decomposer task or direct, and no vote."))
    ray: RayConfig = Field(default_factory=RayConfig, description="executor=ray: the cluster and the workers.")

    @model_validator(mode="after")
    def _llm_plans_need_an_llm(self) -> AmplifyConfig:
        if self.decomposer == "llm" and self.answerer.kind in ("local", "vllm"):
            raise ValueError("decomposer: llm needs answerer.kind openai or langchain "
                             "(the local student cannot write plans)")
        if self.vote is not None and self.answerer.kind != "local":
            raise ValueError("vote: needs answerer.kind local (the student samples the answers voted on)")
        if self.leaves_by_h and (self.decomposer != "direct" or self.answerer.kind != "local"):
            raise ValueError("leaves_by_h: only used with decomposer=direct and answerer.kind local")
        if self.executor == "ray" and (self.answerer.kind != "local" or self.decomposer not in ("task", "direct")
                                       or self.vote is not None):
            raise ValueError("executor: ray runs the local student with decomposer task or direct and no vote; "
                             "set executor=local for this config")
        return self
