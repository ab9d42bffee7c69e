"""`RunConfig`: every knob of a run, as pydantic models loaded from YAML with `--set a.b=c` overrides.

An invalid config fails before any work, with the dotted path of the bad field in the message. One module per
section (`models`, `amplify`, `review`, `distill`, `safety`; `run` holds the task, evaluation, tracking and the
whole `RunConfig`), loading in `load`; every public name is re-exported here: `from ida.config import RunConfig`.

    config = load_config("configs/permutation.yaml", ["distill.steps=100"])   # ConfigError names a bad field
"""

from ida.config.amplify import (AmplifyConfig, CurriculumConfig, FiltersConfig, LLMDecomposerConfig, RayConfig,
                                VoteConfig)
from ida.config.distill import DistillConfig, KDConfig, LoraConfig, OnPolicyConfig, TeacherConfig
from ida.config.load import ConfigError, apply_overrides, dump_config, load_config, parse_override, read_yaml, validate
from ida.config.models import TINY_FIELDS, AnswererConfig, FewShot, ModelConfig, OpenAIConfig, VLLMConfig
from ida.config.review import ReviewConfig
from ida.config.run import CycleConfig, EvalConfig, RunConfig, TaskConfig, TrackingConfig
from ida.config.safety import SafetyConfig
from ida.config.section import MAX_SEED, Section
from ida.config.store import StoreConfig, StoreError, StoreUrl

__all__ = [
    "MAX_SEED", "TINY_FIELDS", "AmplifyConfig", "AnswererConfig", "ConfigError", "CurriculumConfig", "CycleConfig",
    "DistillConfig", "EvalConfig", "FewShot", "FiltersConfig", "KDConfig", "LLMDecomposerConfig", "LoraConfig",
    "ModelConfig", "OnPolicyConfig", "OpenAIConfig", "RayConfig", "ReviewConfig", "RunConfig", "SafetyConfig",
    "Section", "StoreConfig", "StoreError", "StoreUrl", "TaskConfig", "TeacherConfig", "TrackingConfig",
    "VLLMConfig", "VoteConfig", "apply_overrides", "dump_config", "load_config", "parse_override", "read_yaml",
    "validate",
]
