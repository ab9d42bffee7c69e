"""Who answers: the student (`model`) and the answerers of amplification (`amplify.answerer`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator

from ida.config.section import Section


class FewShot(Section):
    question: str = Field(description="A prompt as the task writes it, e.g. 'perm 3 ^ 2 ='.")
    answer: str = Field(description="Its answer.")


TINY_FIELDS = ("n_layer", "n_embd", "n_head", "n_positions", "dropout", "architecture", "position_scheme",
               "position_separators")


class ModelConfig(Section):
    architecture: Literal["gpt2", "llama"] = Field("gpt2", description=(
        "Architecture of the student built in-process: gpt2 (learned absolute positions; the default) or llama "
        "(rotary positions, RoPE, which see only offsets between tokens, so a rule learnt at short lengths can hold "
        "at longer ones; MLP width 4 x n_embd)."))
    position_scheme: Literal["sequential", "coupled"] = Field("sequential", description=(
        "Position ids of the built-in student: sequential (0, 1, 2, ...) or coupled (the count restarts after each "
        "separator token, so digit i of every operand and of the answer share a position whatever the length: "
        "position coupling, Cho et al. 2024). Saved with the checkpoint, so a loaded student keeps it."))
    position_separators: list[str] | None = Field(None, description=(
        "coupled: the tokens after which positions restart; None: the ones the task declares "
        "(addition: '+' and '=')."))
    n_layer: int = Field(2, ge=1, description=(
        "Transformer layers of the student (built in-process, see `architecture`)."))
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
