"""The human as H (`amplify.decomposer: human`): questions queue as workspaces, an overseer claims one (a lease of
`review.workspace_minutes`), writes subquestions that the current model M_n answers as each is submitted, then
writes the final answer. The amplify phase waits for the cycle's workspaces and turns each finished one into an
`AmplifiedExample` through the same `Executor` as every other decomposer: the workspace's subquestions are replayed
to M_n (the same greedy answers the overseer saw, memoized) and the overseer's answer is the recomposition.

Subquestions are validated like LLM plans (`decomposition.planning.parse_plan`): at most
`amplify.llm_decomposer.max_subquestions`, a dependency chain of at most `max_depth`, `#N` refers to the answer of
an earlier subquestion N only, never the question itself; plus no NUL and at most `review.max_subquestion_chars`.
Only the lease holder writes (`ida.store.workspaces`); every action is in the event log. A finished plan is kept
as a demonstration (`cycle-<n>/demonstrations.jsonl`, the LLM plan format) for decomposers learned later.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from decomposition import Program
from ida.config import load_config
from ida.paths import RunPaths
from ida.store import Store, Workspace, WorkspaceError, WorkspaceStep
from ida.tasks import UNKNOWN, Question, Task

if TYPE_CHECKING:
    from ida.amplify.decomposers import AmplifyContext
    from ida.config import AmplifyConfig, ReviewConfig

_REF = re.compile(r"#(\d+)")
_BAD_REF = re.compile(r"#(?!\d)")  # a # not followed by a digit: a reference typed wrong
OVERSEER = "H:human"


@dataclass(frozen=True)
class Limits:
    """How big a workspace's plan may get (see the module docstring)."""

    max_subquestions: int = 8
    max_depth: int = 4
    max_chars: int = 300

    @classmethod
    def of(cls, amplify: AmplifyConfig, review: ReviewConfig) -> Limits:
        d = amplify.llm_decomposer
        return cls(d.max_subquestions, d.max_depth, review.max_subquestion_chars)


class InputError(ValueError):
    """A subquestion or answer that cannot be accepted; the message says why (nothing was changed)."""


def check_text(text: str, what: str, max_chars: int) -> str:
    """`text` stripped, or `InputError` if it is empty, holds a NUL or is longer than `max_chars`."""
    if "\x00" in text:
        raise InputError(f"the {what} contains a NUL character")
    text = text.strip()
    if not text:
        raise InputError(f"write the {what} first")
    if len(text) > max_chars:
        raise InputError(f"the {what} has {len(text)} characters, more than the allowed {max_chars}")
    return text


def check_references(ws: Workspace, text: str, validate: Callable[[str], str | None] | None) -> None:
    """`InputError` for a reference that is not `#N` (e.g. `# 1`, `#one`), or to an earlier answer that is not
    an answer of the task (filling it in would hand the model garbage such as `= = =`)."""
    if _BAD_REF.search(text):
        raise InputError("write a reference to an earlier answer as #N with no space, e.g. #1")
    answers = {s.position: s.answer for s in ws.steps}
    for ref in sorted({int(n[:9]) for n in _REF.findall(text)}):
        answer = answers.get(ref)
        if answer is None:
            continue  # a later or missing answer: said by check_subquestion
        error = validate(answer) if validate is not None else (None if answer.split() else "it is empty")
        if error:
            raise InputError(f"#{ref} refers to the model's answer {answer!r}, which is not a usable answer "
                             f"({error}); ask #{ref} again in other words, or write the value yourself")


def check_subquestion(ws: Workspace, text: str, limits: Limits,
                      validate: Callable[[str], str | None] | None = None) -> str:
    """The subquestion as the model will be asked it (`#N` filled with earlier answers), or `InputError`;
    `validate` (the task's `validate_answer`) checks the answers it refers to."""
    from decomposition.planning import PlanError, fill_references, normalise, parse_plan

    text = check_text(text, "subquestion", limits.max_chars)
    check_references(ws, text, validate)
    position = len(ws.steps) + 1
    if position > limits.max_subquestions:
        raise InputError(f"this workspace has {limits.max_subquestions} subquestions, the most allowed: "
                         "write the final answer")
    for ref in sorted({int(n[:9]) for n in _REF.findall(text)}):
        if ref == position:
            raise InputError(f"the subquestion refers to its own answer (#{ref}): refer to earlier answers only")
        if ref > position:
            raise InputError(f"the subquestion refers to #{ref}, a later answer: only #1..#{position - 1} exist"
                             if position > 1 else f"the subquestion refers to #{ref}, but no answer exists yet")
        if ref < 1:
            raise InputError(f"the subquestion refers to #{ref}, which does not exist")
    plan = {"subquestions": [{"id": s.position, "text": s.text} for s in ws.steps]
            + [{"id": position, "text": text}]}
    try:
        parse_plan(json.dumps(plan), ws.text, limits.max_subquestions, limits.max_depth)
    except PlanError as err:
        raise InputError(str(err)) from None
    asked = fill_references(text, {s.position: s.answer for s in ws.steps})
    if normalise(asked) == normalise(ws.text):
        raise InputError("the subquestion (with its references filled) repeats the question itself")
    return asked


def sub_prompt(question_prompt: str, asked: str) -> str:
    """The prompt of a subquestion: the question's facts (in-context form) with the subquestion's text."""
    facts = question_prompt.split(" | ", 1)[0].split(" ; ") if " | " in question_prompt else []
    return Question("sub", asked, 0, "", tuple(facts)).prompt


class Workspaces:
    """The rules of the workspaces in one store (the app's side and the amplify phase's)."""

    def __init__(self, store: Store, minutes: float = 5.0, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.seconds, self.limits, self.clock = store, minutes * 60.0, limits or Limits(), clock

    def claim(self, user: str) -> Workspace | None:
        return self.store.workspace_claim(user, self.clock(), self.seconds)

    def current(self, user: str) -> Workspace | None:
        return self.store.workspace_current(user, self.clock())

    def get(self, workspace_id: int) -> Workspace | None:
        return self.store.workspace(workspace_id)

    def ask(self, workspace_id: int, user: str, text: str, answer: Callable[[str], str],
            task: Task | None = None) -> WorkspaceStep:
        """Validate the subquestion (its references against the task's answers when `task` is given), have the
        model answer it (`answer(prompt)`), and record both; raises `InputError` or `WorkspaceError` (not the
        lease holder) with nothing changed."""
        ws = self.store.workspace_check(workspace_id, user, self.clock())
        asked = check_subquestion(ws, text, self.limits, task.validate_answer if task is not None else None)
        reply = answer(sub_prompt(ws.prompt, asked))
        step = WorkspaceStep(len(ws.steps) + 1, text.strip(), asked, reply, ws.model_version, user)
        self.store.workspace_add_step(workspace_id, user, step, self.clock())
        return step

    def finish(self, workspace_id: int, user: str, answer: str, task: Task | None = None) -> None:
        """Record the final answer (validated by the task when given) and end the lease."""
        self.store.workspace_check(workspace_id, user, self.clock())
        answer = " ".join(check_text(answer, "final answer", self.limits.max_chars).split())
        error = task.validate_answer(answer) if task is not None else None
        if error:
            raise InputError(error)
        self.store.workspace_finish(workspace_id, user, answer, self.clock())

    def release(self, workspace_id: int, user: str) -> None:
        self.store.workspace_release(workspace_id, user, self.clock())


def model_answerer(run_dir: Path, cycle: int, version: str) -> Callable[[str], str]:
    """M_n as the app asks it (imports the model stack): the checkpoint the cycle's amplify phase loaded, with
    the run's answer settings, so that the phase's replay of a workspace gives the answers the overseer saw."""
    from ida.models.local import load_student

    paths = RunPaths(run_dir)
    model = load_student(load_config(paths.config).model, paths.checkpoint(cycle - 1), version)
    return lambda prompt: model.answer([prompt])[0].text


def plan_of(ws: Workspace) -> dict[str, Any]:
    """A finished workspace's plan in the LLM plan format (`{"subquestions": [{id, text, depends_on}]}`)."""
    return {"subquestions": [{"id": s.position, "text": s.text,
                              "depends_on": sorted({int(n) for n in _REF.findall(s.text)})} for s in ws.steps]}


def write_demonstrations(workspaces: list[Workspace], path: Path) -> int:
    """One JSON line per finished workspace: question, plan, the overseer's answer, who."""
    done = [w for w in workspaces if w.finished]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for w in done:
            f.write(json.dumps({"question_id": w.question_id, "question": w.text, "plan": plan_of(w),
                                "answer": w.answer, "overseer": w.finished_by, "model_version": w.model_version})
                    + "\n")
    return len(done)


def replay(ws: Workspace, question: Question) -> Program:
    """The workspace as a program for the `Executor`: each subquestion in turn (node k = subquestion k, its
    `#N` filled with the answers the model gives now), then the overseer's answer."""
    from decomposition.planning import Subquestion, fill_references

    answers: dict[int, str] = {}
    for s in ws.steps:
        asked = fill_references(s.text, answers)
        refs = tuple(sorted({int(n) for n in _REF.findall(s.text)}))
        [answers[s.position]] = yield [Subquestion(asked, sub_prompt(question.prompt, asked), refs)]
    return ws.answer


def _unsampled(question: Question) -> Program:
    """A train question nobody decomposed this cycle: no target (H says "I could not")."""
    return UNKNOWN
    yield  # a generator that returns at once


class HumanDecomposer:
    """H is an overseer in the app's workspace page. Bound to an amplify phase (`prepare`), it queues the cycle's
    sample of questions as workspaces and waits for them; unbound (the evaluate phase's Amp(M_n)), it falls back
    to the task's own H, or to direct answers when the task has none."""

    def __init__(self, cfg: AmplifyConfig, task: Task, fallback: Any) -> None:
        self.cfg, self.task, self.fallback = cfg, task, fallback
        self.failures: dict[str, list[tuple[str, str]]] = {}
        self.finished: dict[str, Workspace] | None = None

    def prepare(self, context: AmplifyContext, answerer_version: str) -> None:
        """Queue this cycle's workspaces (idempotent, seeded) and wait for them (`review.wait`)."""
        review = context.review
        questions = self.task.questions("train")
        easiest = min((q.difficulty for q in questions), default=0)
        # questions of the lowest difficulty are the ones H answers alone: people decompose the rest
        questions = [q for q in questions if q.difficulty > easiest] or questions
        sample = random.Random(context.seed).sample(questions, min(review.workspaces, len(questions)))
        records = context.records
        records.workspace_enqueue(context.cycle, answerer_version,
                                  [(q.id, q.text, q.prompt, q.difficulty) for q in sample], time.time())
        if review.wait:
            _wait(context, review.poll_seconds)
        done = [w for w in records.workspaces(context.cycle) if w.finished]
        write_demonstrations(done, RunPaths(context.run_dir).demonstrations(context.cycle))
        self.finished = {w.question_id: w for w in done}

    def program(self, question: Question, depth: int = 1) -> Program:
        if self.finished is None:
            return self.fallback.program(question, depth)
        ws = self.finished.get(question.id)
        return _unsampled(question) if ws is None else replay(ws, question)

    def overseer(self, answerer_version: str) -> str:
        return OVERSEER if self.finished is not None else self.fallback.overseer(answerer_version)


def _wait(context: AmplifyContext, poll: float) -> None:
    records = context.records
    done, total = records.workspace_progress(context.cycle)
    if done >= total:
        return
    records.event("system", "workspace_wait", {"cycle": context.cycle, "done": done, "total": total})
    context.progress.log(f"cycle {context.cycle}: waiting for {total - done} of {total} workspaces (the human as "
                         f"H); open the app with: {context.app_hint}")
    with context.progress.phase(f"cycle {context.cycle} · workspaces", total=total) as bar:
        while done < total:
            bar.update(completed=done, total=total, info=context.app_hint)
            context.sleep(poll)
            context.store.workspace_expire(time.time())  # logs abandoned leases even while nobody claims
            done, total = records.workspace_progress(context.cycle)
        bar.update(completed=done, total=total, info="all finished")


__all__ = ["OVERSEER", "HumanDecomposer", "InputError", "Limits", "WorkspaceError", "Workspaces", "check_subquestion",
           "model_answerer", "plan_of", "replay", "sub_prompt", "write_demonstrations"]
