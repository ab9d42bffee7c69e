"""A task that withholds every label the run may not read: addition whose `true_answer` raises `LabelWithheld` for
any question above H's own level (one-digit sums) that is not an eval question. A run on it that reads a train
label anywhere in amplify, review (policy none) or distill fails; evaluation still has its labels."""

from __future__ import annotations

from ida.tasks import AdditionTask, Question
from ida.tasks.labels import LabelWithheld


class GuardedAddition(AdditionTask):

    def true_answer(self, question: Question) -> str:
        if question.difficulty > 1 and question.id not in self._eval_ids():
            raise LabelWithheld(f"label withheld: {question.text!r} is above H's level and not an eval question")
        return super().true_answer(question)

    def _eval_ids(self) -> set[str]:
        if getattr(self, "_eval_id_set", None) is None:
            self._eval_id_set = {q.id for q in self.questions("eval")}
        return self._eval_id_set
