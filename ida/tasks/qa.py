"""`QATask`: questions from a JSONL file, so a researcher can bring their own data.

One JSON object per line: `{"id": "q1", "question": "...", "answer": "...", "difficulty": 2, "context": "..."}`;
only `question` is required (`id` defaults to the line number, `difficulty` to 1). A reference `answer` is
optional: questions with one are split seededly into train and eval (`eval_fraction` of them held out), those
without are train-only (amplification gives their targets). A checker scores an answer against the reference:
`exact` (after collapsing whitespace), `numeric` (the last number in the answer within `tolerance`), or a
Python callable `module:function` called as `f(answer, reference) -> bool`.

The task has no H program of its own: amplify it with `amplify.decomposer: llm` (or `direct`).

Vocabulary (the student's word-level tokenizer): every whitespace token of the file's questions, contexts and
reference answers. Tokens an amplifier answers with that are not among them become [UNK] in the student's
targets (the amplify phase counts them as `target_unknown_tokens`): put the answer words you expect into the
file (e.g. as references) or keep the amplifier's answers short (a system prompt, `stop`).
"""

from __future__ import annotations

import importlib
import json
import math
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ida.tasks.base import Form, HProgram, Question, Split, Task

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
PROMPT_TOKENS = ("=", "|", ";")  # what `Question.prompt` adds around the text


class QATask(Task):
    name = "qa"
    can_decompose = False  # no H program: the amplifier's decomposer must be llm or direct

    def __init__(self, path: str, form: Form = "context", seed: int = 0, checker: str = "exact",
                 tolerance: float = 1e-6, eval_fraction: float = 0.2) -> None:
        if not 0 <= eval_fraction < 1:
            raise ValueError(f"task.params.eval_fraction: must be in [0, 1), got {eval_fraction}")
        if tolerance < 0:
            raise ValueError(f"task.params.tolerance: must be >= 0, got {tolerance}")
        self.form, self.seed, self.path = form, seed, Path(path)
        self.checker_name, self.tolerance = checker, tolerance
        self._check = _make_checker(checker, tolerance)
        self._questions, self._answers = _read(self.path)
        referenced = [q for q in self._questions if q.id in self._answers]
        n_eval = round(eval_fraction * len(referenced))
        if eval_fraction > 0 and referenced and n_eval == 0:
            n_eval = 1
        held_out = set(q.id for q in random.Random(seed).sample(referenced, n_eval))
        self._splits = {"train": [q for q in self._questions if q.id not in held_out],
                        "eval": [q for q in self._questions if q.id in held_out]}

    def questions(self, split: Split) -> list[Question]:
        return list(self._splits[split])

    def difficulties(self) -> list[int]:
        return sorted({q.difficulty for q in self._questions})

    def decompose(self, question: Question) -> HProgram:
        raise ValueError("task qa has no H program of its own: set amplify.decomposer to llm or direct")

    def true_answer(self, question: Question) -> str | None:
        """The reference answer, or None when the file gives none."""
        return self._answers.get(question.id)

    def check(self, question: Question, answer: str | None) -> bool:
        """Whether `answer` is right by the task's checker (False without a reference answer)."""
        reference = self._answers.get(question.id)
        return answer is not None and reference is not None and bool(self._check(answer, reference))

    def vocabulary(self) -> list[str]:
        words = set(PROMPT_TOKENS)
        for q in self._questions:
            words.update(q.text.split())
            for fact in q.context:
                words.update(fact.split())
        for answer in self._answers.values():
            words.update(answer.split())
        return sorted(words)


def _read(path: Path) -> tuple[list[Question], dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"task.params.path: no such file {str(path)!r}")
    questions, answers, seen = [], {}, set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"task.params.path: {path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{where}: not JSON ({err})") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise ValueError(f'{where}: each line must be an object with a non-empty "question"')
        difficulty = row.get("difficulty", 1)
        if not isinstance(difficulty, int) or isinstance(difficulty, bool):
            raise ValueError(f'{where}: "difficulty" must be an integer')
        context = row.get("context") or ()
        context = (context,) if isinstance(context, str) else tuple(str(c) for c in context)
        q = Question(str(row.get("id", number)), " ".join(row["question"].split()), difficulty, "qa", context)
        if q.id in seen:
            raise ValueError(f"{where}: id {q.id!r} is used twice")
        seen.add(q.id)
        questions.append(q)
        if row.get("answer") is not None:
            answers[q.id] = " ".join(str(row["answer"]).split())
    if not questions:
        raise ValueError(f"task.params.path: {path} holds no questions")
    return questions, answers


def _make_checker(name: str, tolerance: float) -> Callable[[str, str], Any]:
    if name == "exact":
        return lambda answer, reference: " ".join(answer.split()) == reference
    if name == "numeric":
        return lambda answer, reference: _numbers_close(answer, reference, tolerance)
    if ":" not in name:
        raise ValueError(f"task.params.checker: {name!r} is not exact, numeric or module:function")
    module, _, attr = name.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"task.params.checker: cannot import {name!r} ({err})") from None
    if not callable(fn):
        raise ValueError(f"task.params.checker: {name!r} is not callable")
    return fn


def _numbers_close(answer: str, reference: str, tolerance: float) -> bool:
    """The last number in `answer` against the reference's, within `tolerance` (absolute or relative)."""
    got, want = _NUMBER.findall(answer.replace(",", "")), _NUMBER.findall(reference.replace(",", ""))
    if not got or not want:
        return False
    return math.isclose(float(got[-1]), float(want[-1]), rel_tol=tolerance, abs_tol=tolerance)
