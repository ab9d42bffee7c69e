"""`RunConfig`: every knob of a run, as pydantic models loaded from YAML with `--set a.b=c` overrides.

An invalid config fails before any work, with the dotted path of the bad field in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from ida.errors import IDAError

MAX_SEED = 2**30 - 1  # RunConfig.seed: its derived torch seeds (seed * 10007 * 1000003 + ...) stay below 2^64


class Section(BaseModel):
    # inf/nan floats are never a meaningful knob (`distill.lr: .inf` would only fail mid-run)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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


class FewShot(Section):
    question: str = Field(description="A prompt as the task writes it, e.g. 'perm 3 ^ 2 ='.")
    answer: str = Field(description="Its answer.")


TINY_FIELDS = ("n_layer", "n_embd", "n_head", "n_positions", "dropout")


class ModelConfig(Section):
    n_layer: int = Field(2, ge=1, description=(
        "Transformer layers of the student (GPT-2 architecture, built in-process)."))
    n_embd: int = Field(128, ge=8, description="Hidden width of the student.")
    n_head: int = Field(4, ge=1, description="Attention heads of the student.")
    n_positions: int = Field(256, ge=16, description="Longest sequence (prompt + answer) in tokens.")
    dropout: float = Field(0.0, ge=0, lt=1, description=(
        "Dropout on embeddings, attention and residuals (GPT-2's three pdrops). 0 by default: the in-weights tasks "
        "are memorisation, which dropout slows several-fold."))
    max_answer_tokens: int = Field(4, ge=1, description="Most tokens generated for one answer (greedy).")
    answer_batch_size: int = Field(512, ge=1, description="Prompts per forward pass when answering.")
    threads: int | None = Field(None, ge=1, description=(
        "CPU threads of torch's intra-op parallelism during a run (torch.set_num_threads); None: torch's own default "
        "(one per core). The thread count changes the order floating-point sums are taken in, so a run's numbers "
        "can differ in the last bits between settings."))

    pretrained: str | None = Field(None, description=(
        "A causal LM as M_0 instead of the built-in GPT-2: a local save_pretrained dir or a hub id (normal "
        "from_pretrained cache; HF_HUB_OFFLINE=1 uses the cache only). Its own tokenizer, EOS and context length are "
        "used; n_layer, n_embd, n_head, n_positions and dropout must then stay at their defaults."))
    revision: str | None = Field(None, description=(
        "pretrained: hub revision (branch, tag or commit); None: the default branch."))
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field("auto", description=(
        "pretrained: weight dtype; auto: bfloat16 on a CUDA device that supports it, else float32 (training needs "
        "fp32 weights on CPU)."))
    attn_implementation: str | None = Field(None, description=(
        "pretrained: transformers attention implementation (eager, sdpa, flash_attention_2); None: the library's "
        "choice."))
    trust_remote_code: bool = Field(False, description=(
        "pretrained: allow the checkpoint's own modelling code (runs code from the checkpoint)."))
    prompt_format: Literal["plain", "chat"] = Field("plain", description=(
        "How prompts are rendered: plain (the task's prompt text; a space before the answer for subword tokenizers) "
        "or chat (the tokenizer's chat template with the generation prompt; needs a template). The same rendering is "
        "used in training, amplification, evaluation, on-policy sampling and the teachers' prompts."))
    system_prompt: str | None = Field(None, description=(
        "Text before every prompt (chat: the system message; plain: a first line)."))
    few_shot: list[FewShot] = Field(default_factory=list, description=(
        "Worked examples shown before every prompt (chat: user/assistant turns; plain: 'question answer' lines)."))

    @model_validator(mode="after")
    def _heads_divide_the_width(self) -> ModelConfig:
        if self.n_embd % self.n_head:  # else GPT-2 fails inside its attention, naming no field
            raise ValueError(f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head} (each attention "
                             "head takes n_embd / n_head dimensions)")
        return self

    @model_validator(mode="after")
    def _pretrained_or_tiny(self) -> ModelConfig:
        if self.pretrained is not None:
            if not self.pretrained.strip():
                raise ValueError("pretrained: empty; give a checkpoint dir or a hub id")
            for name in TINY_FIELDS:
                if getattr(self, name) != type(self).model_fields[name].default:
                    raise ValueError(f"{name}: only for the built-in GPT-2; model.pretrained sets the architecture "
                                     f"(leave {name} at its default)")
        elif self.prompt_format == "chat":
            raise ValueError("prompt_format: chat needs model.pretrained "
                             "(the built-in tokenizer has no chat template)")
        return self


class OpenAIConfig(Section):
    """Settings of an `OpenAIAnswerer`."""

    model: str = Field("gpt-4o-mini", description="Model name sent with every request.")
    base_url: str | None = Field(None, description="API base URL, e.g. http://localhost:8000/v1; "
                                                   "None reads OPENAI_BASE_URL, else OpenAI's.")
    api_key: SecretStr | None = Field(None, description="API key; None reads OPENAI_API_KEY (a custom base_url "
                                                        "without any key sends 'EMPTY', as vLLM expects).")
    mode: Literal["chat", "completions"] = Field("chat", description="Endpoint: /chat/completions or /completions.")
    system_prompt: str | None = Field(None, description="System message (chat) or text put before the prompt "
                                                        "(completions).")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(256, ge=1, description="Most tokens generated per answer.")
    stop: list[str] | None = Field(None, description="Stop sequences (not included in the answer).")
    logprobs: bool = Field(False, description="Ask for per-token log-probs of the answer.")
    top_logprobs: int = Field(0, ge=0, le=20, description="With logprobs: how many alternatives per token to "
                                                          "return (completions mode allows at most 5).")
    max_concurrency: int = Field(8, ge=1, description="Most requests in flight at once.")
    max_retries: int = Field(4, ge=0, description="Retries per prompt after the first attempt.")
    timeout_s: float = Field(60.0, gt=0, description="Deadline of one request attempt, in seconds.")
    backoff_base_s: float = Field(0.5, ge=0, description="First retry waits about this long; doubles per retry.")
    max_backoff_s: float = Field(30.0, ge=0, description="Cap on one wait between attempts, Retry-After included.")
    prompt_cost_per_mtok: float = Field(0.0, ge=0, description="US$ per million prompt tokens, for `usage.cost`.")
    completion_cost_per_mtok: float = Field(0.0, ge=0, description="US$ per million completion tokens.")
    version: str | None = Field(None, description="Name of the model version (memo key); None derives one from "
                                                  "the model, endpoint and generation settings.")


class VLLMConfig(Section):
    """Settings of a `VLLMAnswerer` (`ida.models.vllm`)."""

    gpu_memory_utilization: float = Field(0.5, gt=0, le=1, description=(
        "Share of GPU memory vLLM may take (weights + KV cache); the rest stays for distillation in the same "
        "process."))
    max_model_len: int | None = Field(None, ge=16, description=(
        "Longest prompt + answer the engine plans its KV cache for; None: the model's context length."))
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs one engine spans.")
    enforce_eager: bool = Field(False, description=(
        "Skip CUDA-graph capture (faster start, slower decoding; for short cycles)."))
    dtype: str = Field("auto", description="vLLM weight dtype (auto: the checkpoint's).")


class AnswererConfig(Section):
    kind: str = Field("local", description=(
        "Who answers during amplification: local (the current student M_n, the IDA default), vllm (M_n in an "
        "in-process vLLM engine, reloaded each cycle; GPU, the vllm extra), openai (an "
        "OpenAI-compatible endpoint: OpenAI, vLLM, SGLang, llama.cpp) or langchain (a langchain-core chat model from "
        "`langchain_factory`); or a registered answerer, an `ida.answerers` entry point, or an import path "
        "module:attr. The distilled student is always the local model."))
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "A plug-in answerer (kind module:attr or an entry point): keyword arguments its class or factory is called "
        "with."))
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig, description=(
        "kind=openai: endpoint, model and request settings; base_url and the key come from OPENAI_BASE_URL / "
        "OPENAI_API_KEY when unset."))
    vllm: VLLMConfig = Field(default_factory=VLLMConfig, description="kind=vllm: engine settings.")
    langchain_factory: str | None = Field(None, description=(
        "kind=langchain: import path `module:function` of a function that returns a langchain_core BaseChatModel."))
    langchain_kwargs: dict[str, Any] = Field(default_factory=dict, description=(
        "kind=langchain: keyword arguments passed to the factory."))
    langchain_max_concurrency: int = Field(8, ge=1, description="kind=langchain: most requests in flight at once.")
    langchain_system_prompt: str | None = Field(None, description=(
        "kind=langchain: system message sent before every prompt."))

    @model_validator(mode="after")
    def _consistent(self) -> AnswererConfig:
        if self.kind == "langchain" and not self.langchain_factory:
            raise ValueError("langchain_factory: kind=langchain needs an import path module:function")
        if self.langchain_factory and ":" not in self.langchain_factory:
            raise ValueError(f"langchain_factory: {self.langchain_factory!r} is not of the form module:function")
        if self.openai.api_key is not None:
            # the run's config.yaml is written to disk (and a SecretStr would be dumped masked, breaking resume)
            raise ValueError("openai.api_key: keys are not stored in run configs; set OPENAI_API_KEY instead")
        return self


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
    leaves_by_h: bool = Field(False, description=(
        "decomposer=direct: questions H answers itself without subquestions (the task's simplest, e.g. one-digit "
        "sums) get H's answer, the rest the answerer's; gives self-improvement the same base knowledge as IDA's H. "
        "False: the answerer answers every question."))

    @model_validator(mode="after")
    def _llm_plans_need_an_llm(self) -> AmplifyConfig:
        if self.decomposer == "llm" and self.answerer.kind in ("local", "vllm"):
            raise ValueError("decomposer: llm needs answerer.kind openai or langchain "
                             "(the local student cannot write plans)")
        if self.vote is not None and self.answerer.kind != "local":
            raise ValueError("vote: needs answerer.kind local (the student samples the answers voted on)")
        if self.leaves_by_h and (self.decomposer != "direct" or self.answerer.kind != "local"):
            raise ValueError("leaves_by_h: only used with decomposer=direct and answerer.kind local")
        return self


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
    safety: SafetyConfig = Field(default_factory=SafetyConfig, description=(
        "Tripwire thresholds and monitor sets; fixed at run start (resume refuses a change)."))
    seed: int = Field(0, ge=0, le=MAX_SEED, description=(
        "Seed of model init, sampling and training; 0 to 2^30 - 1 (the per-phase torch seeds derived from it, up to "
        "about seed x 10^10, must fit torch.manual_seed's 64-bit range)."))
    max_cycles: int = Field(6, ge=1, le=1000, description="Number of amplify-distill cycles; bounds every run.")


class ConfigError(IDAError, ValueError):
    """A config that does not validate; the message names each bad field by its dotted path."""


def parse_override(item: str) -> tuple[list[str], Any]:
    """`a.b=c` -> (["a", "b"], parsed c); the value is parsed as YAML so numbers and booleans keep their type."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} is not of the form key.path=value")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override {item!r} has an empty key")
    try:
        return key.strip().split("."), yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError as err:
        raise ConfigError(f"override {item!r}: the value is not valid YAML ({_yaml_problem(err)}); "
                          "quote it or fix its brackets") from None


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
    """The config, its plug-ins resolved (names known, import paths importable, protocols met)."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as err:
        lines = [f"  {_where(e)} (got {e.get('input')!r})" for e in err.errors()]
        raise ConfigError("invalid config:\n" + "\n".join(lines)) from None
    from ida.plugins import PluginError, check_plugins

    try:
        check_plugins(config)
    except PluginError as err:
        raise ConfigError(str(err)) from None
    return config


def _where(error: dict) -> str:
    """"a.b: message"; a section's validator that names its field ("n_layer: ...") gives "model.n_layer: ..."."""
    path, msg = ".".join(str(p) for p in error["loc"]), error["msg"]
    if error["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
        head, sep, rest = msg.partition(": ")
        if sep and head.replace(".", "").replace("_", "").isalnum() and path:
            return f"{path}.{head}: {rest}"
    return f"{path}: {msg}"


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Load YAML (the built-in defaults when `path` is None), apply `--set` overrides, validate.

    The built-in defaults are the embedded default run, the same as `configs/permutation.yaml`."""
    data = read_yaml(Path(path)) if path else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return validate(apply_overrides(data, overrides or []))


def read_yaml(path: Path) -> Any:
    """A config file's YAML; every way it can be unreadable is a one-line `ConfigError` naming the file (an empty
    file is an error, never the defaults: a config cut short must not silently run another experiment)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a YAML config file") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({_yaml_problem(err)})") from None
    if data is None:
        raise ConfigError(f"{path}: the config is empty; write the fields to change (or `{{}}` for the defaults)")
    return data


def _yaml_problem(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{getattr(err, 'problem', None) or 'parse error'}{where}"


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
