"""`preflight`: a config checked against its task before any work (before the run dir exists), each failure one
line naming the field at fault. Called once, by `start_run`."""

from __future__ import annotations

from ida.amplify.decomposers import decomposer_provider
from ida.amplify.executors import executor
from ida.config import RunConfig
from ida.models.context import check_context_length
from ida.models.registry import answerer_provider
from ida.models.student import check_student, student_skeleton
from ida.tasks import Task


def preflight(config: RunConfig, task: Task) -> None:
    """Raise ValueError (naming the config field) for a config this task cannot run, before any work."""
    amp = config.amplify
    answerer_provider(amp.answerer.kind).check(amp.answerer)
    model_config = check_student(config)  # model.pretrained: a one-line error before any work
    if config.distill.lora.enabled:
        from ida.distill.lora import check_targets

        check_targets(student_skeleton(config, model_config), config.distill.lora)
    decomposer_provider(amp.decomposer).check(config, task)
    executor(amp.executor).check(config)  # ray: installed, and its cluster answers
    _check_lengths(config, task)
    if config.eval.baseline and not any(task.true_answer(q) is not None for q in task.questions("train")):
        raise ValueError("eval.baseline: no train question has a reference answer to train the supervised "
                         "baseline on; set eval.baseline=false")
    check_context_length(config, task)  # an over-long question would fail its whole answering batch


def _check_lengths(config: RunConfig, task: Task) -> None:
    """A task with questions of growing length (addition): its longest question and answer must fit the student's
    context and answer budget, else the run fails at start naming the parameter to change."""
    parameter = task.length_parameter
    if parameter is None:
        return
    needed = task.answer_tokens()
    if needed > config.model.max_answer_tokens:
        raise ValueError(f"model.max_answer_tokens: task {task.name!r} has answers of {needed} tokens; set "
                         f"model.max_answer_tokens >= {needed} (or a smaller task.params.{parameter})")
    longest = max(len(q.prompt.split()) for q in task.questions("eval") + task.questions("train"))
    if longest + needed + 1 > config.model.n_positions:
        raise ValueError(f"task.params.{parameter}: questions of {longest} tokens plus answers of {needed} do not "
                         f"fit the student's context (model.n_positions={config.model.n_positions})")
