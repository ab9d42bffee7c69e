"""The one builder of a run's parts: a `RunConfig` (+ its run dir) -> the task with its run-dir parameters, the
answerer's and decomposer's providers, the review policy and the distillation objectives, every plug-in
resolved and checked against its protocol once. `start_run` / `open_run` (the CLI and scripts), the cycle,
the review phase's recomposer and the oversight app all get their parts here.

    parts = build_parts(config, run_dir)     # PluginError / ValueError naming the field
    parts.task, parts.review_policy, parts.decomposer_for()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ida.amplify.decomposers import (Decomposer, DecomposerProvider, DirectDecomposer, TaskDecomposer,
                                     decomposer_provider, register_decomposer)
from ida.config import AmplifyConfig, ConfigError, RunConfig
from ida.config import load_config as load_schema
from ida.distill.registry import MIX, ObjectiveProvider, objective_provider
from ida.models.registry import AnswererProvider, answerer_provider
from ida.plugins import PluginError
from ida.review.policies import REVIEW_POLICY_REGISTRY, ReviewPolicy, make_review_policy
from ida.tasks import TASK_REGISTRY, Task, check_questions, make_task
from ida.tasks.answers import lenient_answers
from ida.tasks.labels import label_free
from ida.tasks.lineage import task_params

@dataclass
class RunParts:
    """What a run is made of, built from its config once."""

    config: RunConfig
    task: Task
    answerer: AnswererProvider
    decomposer: DecomposerProvider
    review_policy: ReviewPolicy
    objectives: dict[str, ObjectiveProvider]

    def decomposer_for(self, amp: AmplifyConfig | None = None) -> Decomposer:
        """A fresh decomposer (its `failures` are per use) of the run's `amplify.decomposer`, over the task's
        label-free view (the training path never reads a true answer above H's own level: `ida.tasks.labels`)."""
        return self.decomposer.build(amp or self.config.amplify, label_free(self.task), self.answerer)


def check_plugins(config: RunConfig) -> None:
    """Resolve every pluggable field of a `RunConfig` (PluginError naming the first that cannot be used)."""
    TASK_REGISTRY.get(config.task.name)
    _resolve(config)


def _resolve(config: RunConfig) -> tuple[AnswererProvider, DecomposerProvider, dict[str, ObjectiveProvider]]:
    answerer = answerer_provider(config.amplify.answerer.kind)
    decomposer = decomposer_provider(config.amplify.decomposer)
    REVIEW_POLICY_REGISTRY.get(config.review.policy)
    distill = config.distill
    names = [*distill.weights] if distill.objective == MIX else [distill.objective]
    return answerer, decomposer, {name: objective_provider(name) for name in names}


def build_task(config: RunConfig, run_dir: Path | None = None) -> Task:
    """The config's task, its questions checked (unique ids, known difficulties; PluginError naming the task);
    with `run_dir`, its pinned data file resolved there (a qa run's copy of its question file)."""
    t = config.task
    task = make_task(t.name, form=t.form, seed=t.seed, **task_params(t, run_dir))
    check_questions(task)
    if config.model.pretrained is not None:
        lenient_answers(task)  # a pretrained LM's "The answer is 17." scores as 17 where the task allows it
    return task


def build_parts(config: RunConfig, run_dir: Path | None = None) -> RunParts:
    """Every part of the run, each plug-in resolved and checked once (PluginError naming the field)."""
    task = build_task(config, run_dir)
    answerer, decomposer, objectives = _resolve(config)
    return RunParts(config, task, answerer, decomposer, make_review_policy(config.review), objectives)


def load_config(path: Path | str | None = None, overrides: list[str] | None = None) -> RunConfig:
    """`ida.config.load_config` plus every plug-in it names resolved (ConfigError naming the field): for scripts
    that want a bad plug-in reported when the config is read rather than when the run starts."""
    config = load_schema(path, overrides)
    try:
        check_plugins(config)
    except PluginError as err:
        raise ConfigError(str(err)) from None
    return config


# The human as H: the app's workspaces (ida.review) play the decomposer of the amplify phase (ida.amplify);
# registered here, above both, so that neither package imports the other the wrong way round.
def _check_human(config: RunConfig, task: Task) -> None:
    if config.amplify.answerer.kind != "local":
        raise ValueError("amplify.decomposer: human needs amplify.answerer.kind local (the app answers the "
                         "overseer's subquestions with the run's checkpoint M_n)")


def _human(cfg: AmplifyConfig, task: Task, answerer: AnswererProvider) -> Decomposer:
    from ida.review.workspace import HumanDecomposer

    fallback = TaskDecomposer(task) if task.can_decompose else DirectDecomposer(answerer.student)
    return HumanDecomposer(cfg, task, fallback)


register_decomposer("human", DecomposerProvider(build=_human, check=_check_human, people=True))
