"""Config sections of the amplifier (`amplify.answerer`, `amplify.llm_decomposer`), kept apart from `ida.config`
so the LLM options live beside each other; `ida.config.AmplifyConfig` nests them.

    amplify:
      answerer: {kind: openai, openai: {model: Qwen/Qwen2.5-7B-Instruct, max_concurrency: 16}}
      decomposer: llm
      llm_decomposer: {max_subquestions: 6, retries: 1}
      depth: 2
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ida.models.openai_api import OpenAIConfig
from ida.models.vllm import VLLMConfig

STUDENT_KINDS = ("local", "vllm")  # answerers that are the student M_n itself


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnswererConfig(_Section):
    kind: Literal["local", "vllm", "openai", "langchain"] = Field("local", description="Who answers during amplification: local (the current student M_n, the IDA default), vllm (M_n in an in-process vLLM engine, reloaded each cycle; GPU, the vllm extra), openai (an OpenAI-compatible endpoint: OpenAI, vLLM, SGLang, llama.cpp) or langchain (a langchain-core chat model from `langchain_factory`). The distilled student is always the local model.")
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig, description="kind=openai: endpoint, model and request settings; base_url and the key come from OPENAI_BASE_URL / OPENAI_API_KEY when unset.")
    vllm: VLLMConfig = Field(default_factory=VLLMConfig, description="kind=vllm: engine settings.")
    langchain_factory: str | None = Field(None, description="kind=langchain: import path `module:function` of a function that returns a langchain_core BaseChatModel.")
    langchain_kwargs: dict[str, Any] = Field(default_factory=dict, description="kind=langchain: keyword arguments passed to the factory.")
    langchain_max_concurrency: int = Field(8, ge=1, description="kind=langchain: most requests in flight at once.")
    langchain_system_prompt: str | None = Field(None, description="kind=langchain: system message sent before every prompt.")

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


class LLMDecomposerConfig(_Section):
    max_subquestions: int = Field(8, ge=1, le=64, description="Most subquestions one plan may have; a longer plan is invalid.")
    max_depth: int = Field(4, ge=1, le=16, description="Longest chain of dependent subquestions in one plan.")
    retries: int = Field(1, ge=0, le=5, description="Re-asks (with the rejection reason shown) after an invalid plan, before answering directly.")
