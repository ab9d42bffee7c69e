"""What a node verdict will do before it is saved (`review.propagate: preview`): the training targets of every
question whose graph used the subanswer, recomputed by the task's program from the edited subanswer (or dropped,
for a reject), beside the target each has now. A graph that would need a subanswer the model was never asked
cannot be recomputed here (the app loads no model): it is listed as decided when the review phase runs.

    rows = target_preview(store, task, lease, "17")     # [PreviewRow(question_id, question, now, then, note)]
"""

from __future__ import annotations

from dataclasses import dataclass

from ida.amplify.examples import is_usable
from ida.review.propagate import propagate
from ida.review.view import question_of
from ida.store import Lease, Store
from ida.tasks import Task

UNKNOWN = "needs a new model answer: decided when the review phase runs"


@dataclass(frozen=True)
class PreviewRow:
    """One training target a node verdict touches: its question, the target now and after (None: dropped)."""

    question_id: str
    question: str
    now: str | None
    then: str | None
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.now != self.then


def target_preview(store: Store, task: Task, lease: Lease, target: str | None) -> list[PreviewRow]:
    """The targets an edit (`target`) or reject (None) of a node lease creates or changes; [] for an example."""
    if lease.key is None:
        return []
    rows = store.examples(lease.run_id, lease.cycle)
    questions = {r.question_id: question_of(task, r) for r in rows}
    changes, _ = propagate(rows, {lease.key: target}, task.decompose, questions)
    out = []
    for r in rows:
        change = changes.get(r.question_id)
        if change is None:
            continue
        now = r.answer if is_usable(r.answer) else None
        failed = target is not None and change.answer is None
        out.append(PreviewRow(r.question_id, questions[r.question_id].text, now, change.answer,
                              UNKNOWN if failed else ""))
    return out
