"""A tiny cycle of real amplified examples for node-review tests: the permutation task's H over 8 items, with a
scripted M0 that answers every subquestion right (confidently) except a few prompts it gets wrong (unsure)."""

from __future__ import annotations

from decomposition import Answer
from ida.amplify.examples import amplify
from ida.config import AmplifyConfig, load_config
from ida.progress import RunProgress
from ida.review.policies import ReviewRequest
from ida.tasks import make_task


class ScriptedModel:
    """M0: the true answer with log-prob -0.01, except for `wrong` prompts: the next item, log-prob -2."""

    version = "M0"
    usage = None

    def __init__(self, task, wrong: set[str]):
        self.by_prompt = {q.prompt: q for q in task.questions("train")}
        self.task, self.wrong, self.asked = task, wrong, []

    def answer(self, prompts):
        self.asked += prompts
        out = []
        for p in prompts:
            true = self.task.true_answer(self.by_prompt[p])
            out.append(Answer(str((int(true) + 1) % 8), (-2.0,)) if p in self.wrong else Answer(true, (-0.01,)))
        return out

    def close(self):
        pass


WRONG = {"perm 3 ^ 1 =", "perm 5 ^ 2 ="}


def make_cycle(wrong=frozenset(WRONG)):
    """(task, rows, questions by id): one cycle's examples as the amplify phase stores them."""
    task = make_task("permutation", n_items=8, max_k=4, seed=5)
    questions = task.questions("train")
    examples = amplify(task, questions, ScriptedModel(task, set(wrong)), AmplifyConfig())
    rows = [e.to_row(task.true_answer(e.question)) for e in examples]
    return task, rows, {q.id: q for q in questions}


def make_request(rows, questions, task, store=None, seed=3, fallback=None):
    return ReviewRequest(store, "r", 1, rows, questions, task, seed, RunProgress(quiet=True), "", fallback=fallback)


def review_cfg(*overrides):
    return load_config(None, list(overrides)).review
