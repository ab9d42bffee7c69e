"""The distill phase: objective, teacher, optimiser, LoRA."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ida.config.section import Section


class TeacherConfig(Section):
    kind: Literal["amplified", "anchor"] = Field("amplified", description=(
        "Teacher of kd and on_policy: amplified (M_n, frozen, with the subquestion transcript in its context) or "
        "anchor (a fixed earlier checkpoint, to undo forgetting)."))
    anchor: int | str = Field(0, description=(
        "The anchor teacher: a cycle index k of this run (M_k, 0 = M_0; cycles up to k, which have no M_k yet, use "
        "M_{n-1}), or a checkpoint dir."))


class KDConfig(Section):
    temperature: float = Field(1.0, gt=0, description="Loss temperature T of kd (soft targets at T, scaled by T^2).")
    top_k: int | None = Field(None, ge=1, description=(
        "Keep only the teacher's top-k log-probs plus a tail bucket; None: full teacher logits."))


class OnPolicyConfig(Section):
    sampling_temperature: float = Field(1.0, gt=0, description=(
        "Temperature the student samples its answers at (equal to loss_temperature for an unbiased gradient)."))
    loss_temperature: float = Field(1.0, gt=0, description=(
        "Temperature of the student and teacher log-probs in the reverse KL."))
    samples_per_question: int = Field(1, ge=1, description=(
        "Student samples per question; a step samples ceil(batch_size / this) questions."))
    max_new_tokens: int | None = Field(None, ge=1, description=(
        "Most tokens sampled per answer; None: the longest training target + EOS."))
    estimator: Literal["full", "sampled"] = Field("full", description=(
        "Reverse KL at each visited state: full (exact, over the vocabulary, needs the teacher's logits; GKD with "
        "beta = 1) or sampled (the one-sample policy-gradient estimate log pi_s - log pi_t of the sampled token, as "
        "in tinker-cookbook; needs only the teacher's log-prob of that token)."))


class LoraConfig(Section):
    enabled: bool = Field(False, description=(
        "Train LoRA adapters (peft) instead of all weights; merged into the checkpoint after training."))
    r: int = Field(8, ge=1, description="LoRA rank.")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling numerator (scale = alpha / r).")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on the LoRA input.")
    target_modules: list[str] | None = Field(None, description=(
        "Module names to adapt (GPT-2: c_attn, c_proj, c_fc; Llama/Qwen: q_proj, k_proj, v_proj, o_proj, ...; "
        "[all-linear]: every linear layer but the output head). None: c_attn for GPT-2, all-linear for any other "
        "architecture."))
    save: Literal["merged", "adapter"] = Field("merged", description=(
        "What a cycle's checkpoint holds: merged (the adapters merged into full weights) or adapter (the adapter "
        "alone, naming its base checkpoint by path and content hash; loaded by merging onto the base)."))

    @model_validator(mode="after")
    def _adapter_needs_lora(self) -> LoraConfig:
        if self.save == "adapter" and not self.enabled:
            raise ValueError("save: adapter needs lora.enabled: true")
        return self


class DistillConfig(Section):
    objective: str = Field("sft", description=(
        "Distillation loss: sft (cross-entropy on answer tokens), kd (soft targets of the teacher), on_policy "
        "(reverse KL on the student's samples), or mix (weights); or a registered objective, an `ida.objectives` "
        "entry point, or an import path module:function (a loss over the answer tokens)."))
    weights: dict[str, float] = Field(default_factory=dict, description=(
        "objective=mix only: objective -> weight, each normalised by its own answer tokens, e.g. {sft: 1.0, "
        "on_policy: 0.5}."))
    teacher: TeacherConfig = Field(default_factory=TeacherConfig, description="The fixed teacher of kd and on_policy.")
    kd: KDConfig = Field(default_factory=KDConfig, description="Soft-target distillation.")
    on_policy: OnPolicyConfig = Field(default_factory=OnPolicyConfig, description="On-policy distillation.")
    steps: int = Field(400, ge=1, description="Optimizer steps per cycle.")
    batch_size: int = Field(128, ge=1, description="Examples per optimizer step.")
    grad_accum: int = Field(1, ge=1, description=(
        "Micro-batches per optimizer step (batch_size is split among them); the loss is normalised by the answer "
        "tokens of the whole step."))
    lr: float = Field(1e-3, gt=0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    schedule: Literal["constant", "cosine"] = Field("constant", description="Learning-rate schedule after warmup.")
    warmup_steps: int = Field(0, ge=0, description="Steps of linear warmup from 0 to lr.")
    max_grad_norm: float | None = Field(None, gt=0, description="Clip the gradient norm to this; None: no clipping.")
    length_buckets: int = Field(1, ge=1, description=(
        "Draw each step's examples from one of this many length buckets (less padding when lengths vary); 1: uniform "
        "over the dataset."))
    bf16: bool = Field(True, description="bf16 autocast when training on CUDA (ignored on CPU).")
    gradient_checkpointing: bool = Field(False, description=(
        "Recompute activations in the backward pass (less memory, ~30% more compute); for long prompts on a GPU."))
    lora: LoraConfig = Field(default_factory=LoraConfig, description="Optional LoRA adapters through peft.")
    stop_when_fit: bool = Field(True, description=(
        "Stop training (a cycle's distillation, and the supervised baseline) once the student gives every one of its "
        "training targets exactly (greedy, teacher-forced), checked every `fit_check_every` steps; the steps taken "
        "are recorded (`train_steps`, `stopped_when_fit`). Up to a stop, training is exactly what it is without the "
        "checks. False: always `steps` steps, as the benchmarks comparing equal budgets set."))
    fit_check_every: int = Field(50, ge=1, description=(
        "stop_when_fit: steps between two checks (each is one no-grad forward pass over the training set)."))
    init: Literal["continue", "fresh"] = Field("continue", description=(
        "Start each cycle's student from M_n (continue) or from a fresh initialisation."))

    @model_validator(mode="after")
    def _weights_only_with_mix(self) -> DistillConfig:
        if self.objective == "mix" and not any(w > 0 for w in self.weights.values()):
            raise ValueError("weights: objective=mix needs at least one positive weight")
        if self.objective != "mix" and self.weights:
            raise ValueError("weights: only used with objective=mix")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights: must be >= 0")
        if isinstance(self.teacher.anchor, int) and self.teacher.anchor < 0:
            raise ValueError("teacher.anchor: a cycle index must be >= 0")
        if self.grad_accum > self.batch_size:
            raise ValueError("grad_accum: cannot exceed batch_size (each micro-batch needs a row)")
        return self
