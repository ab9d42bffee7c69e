"""`preflight`: a config checked against its task before any work (before the run dir exists), each failure one
line naming the field at fault. Called once, by `start_run`."""

from __future__ import annotations

from typing import Any

from ida.amplify.curriculum import check_curriculum
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
    check_curriculum(config, task)  # amplify.curriculum against the task's train difficulties
    _check_lengths(config, task)
    if config.eval.baseline and not any(task.true_answer(q) is not None for q in task.questions("train")):
        raise ValueError("eval.baseline: no train question has a reference answer to train the supervised "
                         "baseline on; set eval.baseline=false")
    check_context_length(config, task)  # an over-long question would fail its whole answering batch


def _check_lengths(config: RunConfig, task: Task) -> None:
    """A task with questions of growing length (addition): its longest question and answer, counted in the
    student's own tokens (a pretrained tokenizer splits digits its own way), must fit the student's context and
    answer budget, else the run fails at start naming the parameter to change."""
    parameter = task.length_parameter
    if parameter is None:
        return
    tokenizer, context = _student_tokens(config, task)
    where = "model.n_positions" if config.model.pretrained is None else "the context length of model.pretrained"
    evals = task.questions("eval")  # eval labels only: measuring the answer budget is not training
    needed = max(len(ids) - 1 for ids in tokenizer.encode_answers([task.true_answer(q) for q in evals]))
    if needed > config.model.max_answer_tokens:
        raise ValueError(f"model.max_answer_tokens: task {task.name!r} has answers of {needed} tokens; set "
                         f"model.max_answer_tokens >= {needed} (or a smaller task.params.{parameter})")
    longest = max(len(ids) for ids in tokenizer.encode_batch([q.prompt for q in evals + task.questions("train")]))
    if longest + needed + 1 > context:
        raise ValueError(f"task.params.{parameter}: questions of {longest} tokens plus answers of {needed} do not "
                         f"fit the student's context ({where}={context})")


def _student_tokens(config: RunConfig, task: Task) -> tuple[Any, int]:
    """The student's tokenizer as it encodes prompts and answers, and its context length."""
    from ida.models.prompts import StudentTokenizer
    from ida.models.tokenizer import build_tokenizer

    m = config.model
    if m.pretrained is None:
        return StudentTokenizer(build_tokenizer(task.vocabulary())), m.n_positions
    from ida.models.pretrained import check_pretrained, context_length, load_tokenizer, prompt_format

    return (StudentTokenizer(load_tokenizer(m.pretrained, m), prompt_format(m)),
            context_length(check_pretrained(m)))
