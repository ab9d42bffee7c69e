"""No label leaks (issue 23, item 3): the training path (amplify, review with policy none, distill) never reads
`true_answer` for a train question above H's level. Every IDA arm runs on `GuardedAddition`, whose `true_answer`
raises for exactly those questions; evaluation keeps its labels. A decomposer that reaches for a label through the
view it is given fails its graphs with `LabelLeak`."""

from __future__ import annotations

import pickle

import pytest

from ida.config import load_config
from ida.cycle import execute
from ida.errors import EmptyPhase
from ida.progress import RunProgress
from ida.run import start_run
from ida.tasks import AdditionTask
from ida.tasks.labels import LabelFreeTask, LabelLeak, LabelWithheld, h_answers_directly, reference_answer

GUARDED = "tests.amplify.guarded_task:GuardedAddition"
TINY = [f"task.name={GUARDED}", "task.params={max_digits: 3, eval_max_digits: 3, n_train: 80, eval_per_difficulty: 8}",
        "model.n_layer=1", "model.n_embd=32", "model.n_head=2", "model.n_positions=32", "model.max_answer_tokens=5",
        "distill.steps=4", "distill.batch_size=16", "max_cycles=2", "eval.baseline=false",
        "safety.probe_size=8", "safety.retention_size=8"]
ARMS = {
    "IDA task decomposer, min_confidence": ["amplify.min_confidence=0.5"],
    "self-improvement: direct + leaves_by_h + vote over 2 models + filters": [
        "amplify.decomposer=direct", "amplify.leaves_by_h=true",
        "amplify.vote={samples: 2, temperature: 1.0, min_agreement: 0.5, models: 2}",
        "amplify.filters={format: true, min_confidence: 0.01}"],
    "IDA + frontier curriculum + format filter": [
        "amplify.curriculum={kind: frontier, probe_questions: 4, probe_samples: 2}", "amplify.filters.format=true"],
    "IDA + schedule curriculum": ["amplify.curriculum={kind: schedule, start: 1, step: 1}"],
}


def test_the_guarded_task_really_withholds_train_labels():
    from tests.amplify.guarded_task import GuardedAddition

    task = GuardedAddition(max_digits=3, eval_max_digits=3, n_train=80, eval_per_difficulty=8)
    hard = next(q for q in task.questions("train") if q.difficulty > 1)
    with pytest.raises(LabelWithheld):
        task.true_answer(hard)
    assert reference_answer(task, hard) is None  # measurement: no label, no error
    one = next(q for q in task.questions("train") if q.difficulty == 1)
    assert h_answers_directly(task, one) and not h_answers_directly(task, hard)
    assert task.true_answer(one) == AdditionTask().true_answer(one)


def test_the_training_view_has_no_labels():
    task = AdditionTask(max_digits=2, n_train=50)
    view = LabelFreeTask(task)
    q = task.questions("train")[0]
    for name in ("true_answer", "check"):
        with pytest.raises(LabelLeak, match=name):
            getattr(view, name)
    assert view.questions("train") == task.questions("train") and view.name == "addition"
    assert LabelFreeTask(view).questions("eval") == task.questions("eval")  # no way back through a second view
    with pytest.raises(AttributeError):
        view.true_answer = task.true_answer
    shipped = pickle.loads(pickle.dumps(view))  # e.g. to a Ray actor: still a view without labels
    with pytest.raises(LabelLeak):
        shipped.true_answer(q)
    assert next(view.decompose(q), None) is not None or q.difficulty == 1


@pytest.mark.slow
@pytest.mark.parametrize("arm", list(ARMS))
def test_every_ida_arm_runs_without_train_labels(tmp_path, arm):
    run = start_run(load_config(None, TINY + ARMS[arm]), tmp_path, RunProgress(quiet=True))
    assert execute(run) == "finished"
    for cycle in (1, 2):
        rows = run.store.examples(run.id, cycle)
        assert rows and all(r.true_answer is None for r in rows if r.difficulty > 1)  # measured: withheld
        assert run.store.metrics(run.id, "student")[cycle]["student"]  # evaluation had its labels
        assert "window" in run.store.phase_result(run.id, cycle, "amplify")


class LeakyDecomposer:
    """A decomposer that cheats: it answers with the task's true answer."""

    def __init__(self, task):
        self.task, self.failures = task, {}

    def program(self, question, depth=1):
        return self.task.true_answer(question)

    def overseer(self, answerer_version):
        return "H:leaky"


def test_a_decomposer_that_reads_labels_fails(tmp_path):
    run = start_run(load_config(None, TINY + [f"amplify.decomposer={__name__}:LeakyDecomposer", "max_cycles=1"]),
                    tmp_path, RunProgress(quiet=True))
    with pytest.raises(EmptyPhase, match="true_answer: the training path"):
        execute(run)
