"""How a run recomposes graphs after node verdicts: the run's own decomposer (the same programs as its amplify
phase) and, for a subquestion the model was never asked, the model that answered the cycle's subquestions,
loaded only when such a subquestion comes up."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ida.amplify.decomposers import decomposer_provider
from ida.models.registry import answerer_provider
from ida.tasks.labels import label_free

if TYPE_CHECKING:
    from decomposition import Answer, Answerer, Program
    from ida.run import Run
    from ida.tasks import Question


class LazyStudent:
    """M_{n-1}, loaded at the first prompt (a review phase whose corrections need no new answer never loads
    it); filtered like the amplify phase when `amplify.min_confidence` is set."""

    def __init__(self, load: Callable[[], Answerer], version: str) -> None:
        self.load, self.version, self._model = load, version, None

    def answer(self, prompts: list[str]) -> list[Answer]:
        if self._model is None:
            self._model = self.load()
        return self._model.answer(prompts)


def review_recomposer(run: Run, cycle: int) -> tuple[Callable[[Question], Program],
                                                      Callable[[str], Answerer | None]]:
    """(programs, fallback) for `ReviewRequest`: the decomposer's program per question, and per model version
    who answers new subquestions (the student of cycle - 1 when the run's answerer is the student; else
    nobody: those graphs are dropped)."""
    amp = run.config.amplify
    provider = answerer_provider(amp.answerer.kind)
    decomposer = decomposer_provider(amp.decomposer).build(amp, label_free(run.task), provider)  # no labels
    student_version = f"M{cycle - 1}"

    def load() -> Answerer:
        from ida.amplify.amplifier import ConfidentAnswerer

        model = run.load_model(run.checkpoint(cycle - 1), student_version)
        return model if amp.min_confidence is None else ConfidentAnswerer(model, amp.min_confidence)

    def fallback(version: str) -> Answerer | None:
        return LazyStudent(load, version) if provider.student and version == student_version else None

    return (lambda q: decomposer.program(q, amp.depth)), fallback
