"""`QATask`: questions from a JSONL file, so a researcher can bring their own data.

One JSON object per line (UTF-8): `{"id": "q1", "question": "...", "answer": "...", "difficulty": 2, "context":
"..."}`; only `question` is required (`id` defaults to the line number, `difficulty` to 1). Types are checked, each
error naming file:line: `id` a string or an integer, `question` and `answer` strings, `context` a string or a list
of strings, `difficulty` an integer >= 1 (nothing is turned into text with str()). A reference `answer` is
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

import hashlib
import importlib
import json
import math
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ida.tasks.base import Form, HProgram, Question, Split, Task
from ida.paths import DATA_DIR  # where a run dir keeps its copy of the question file

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
PROMPT_TOKENS = ("=", "|", ";")  # what `Question.prompt` adds around the text


class QATask(Task):
    name = "qa"
    can_decompose = False  # no H program: the amplifier's decomposer must be llm or direct

    def __init__(self, path: str, form: Form = "context", seed: int = 0, checker: str = "exact",
                 tolerance: float = 1e-6, eval_fraction: float = 0.2, sha256: str | None = None,
                 source: str | None = None) -> None:
        """`sha256`: the file must have this content hash (set when the file was copied into a run dir);
        `source`: where that copy came from (lineage only, never read)."""
        if not 0 <= eval_fraction < 1:
            raise ValueError(f"task.params.eval_fraction: must be in [0, 1), got {eval_fraction}")
        if tolerance < 0:
            raise ValueError(f"task.params.tolerance: must be >= 0, got {tolerance}")
        self.form, self.seed, self.path = form, seed, Path(path)
        self.checker_name, self.tolerance = checker, tolerance
        self._check = _make_checker(checker, tolerance)
        if sha256 is not None and self.path.is_file() and (digest := file_sha256(self.path)) != sha256:
            raise ValueError(f"task.params.path: {path} has changed since the run started (sha256 {digest[:12]}, "
                             f"recorded {sha256[:12]}); put back the file the run started with"
                             f"{f' (a copy of {source})' if source else ''}, or start a new run on the new file")
        self._questions, self._answers = _read(self.path)
        referenced = [q for q in self._questions if q.id in self._answers]
        n_eval = round(eval_fraction * len(referenced))
        if eval_fraction > 0 and referenced and n_eval == 0:
            n_eval = 1
        held_out = set(q.id for q in random.Random(seed).sample(referenced, n_eval))
        self._splits = {"train": [q for q in self._questions if q.id not in held_out],
                        "eval": [q for q in self._questions if q.id in held_out]}

    @staticmethod
    def pin(params: dict[str, Any], run_dir: Path) -> dict[str, Any]:
        """Copy the question file into `run_dir/data/` (lineage: the run keeps the data it was trained on) and
        return the params that name the copy, relative to the run dir, with its sha256 and where it came from."""
        source = Path(params["path"]).resolve()
        relative = Path(DATA_DIR) / source.name
        target = run_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)  # a kill mid-copy leaves no half file under the final name
        return {**params, "path": relative.as_posix(), "sha256": file_sha256(target), "source": str(source)}

    @staticmethod
    def resolve(params: dict[str, Any], run_dir: Path) -> dict[str, Any]:
        """Params of a pinned run (see `pin`) with the copy's path made absolute, so any working dir opens it."""
        if "sha256" not in params or Path(params["path"]).is_absolute():
            return params  # a run from before pinning: the path stays as the researcher gave it
        return {**params, "path": str(run_dir / params["path"])}

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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read(path: Path) -> tuple[list[Question], dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"task.params.path: no such file {str(path)!r}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ValueError(f"task.params.path: {path}:{line}: not UTF-8 text (byte {err.start}: {err.reason}); "
                         "save the file as UTF-8") from None
    questions, answers, seen = [], {}, set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"task.params.path: {path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{where}: not JSON ({err})") from None
        try:
            q, answer = _row(row, number)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        if q.id in seen:
            raise ValueError(f"{where}: id {q.id!r} is used twice")
        seen.add(q.id)
        questions.append(q)
        if answer is not None:
            answers[q.id] = answer
    if not questions:
        raise ValueError(f"task.params.path: {path} holds no questions")
    return questions, answers


def _row(row: Any, number: int) -> tuple[Question, str | None]:
    """One line's question and reference answer, type-checked: a value of the wrong type is an error, never
    turned into text with str() (an object as an answer would become its repr)."""
    if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
        raise ValueError('each line must be an object with a non-empty "question" string')
    qid = row.get("id", number)
    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or (isinstance(qid, str) and not qid.strip()):
        raise ValueError(f'"id" must be a non-empty string or an integer, got {_kind(qid)}')
    difficulty = row.get("difficulty", 1)
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or difficulty < 1:
        got = difficulty if isinstance(difficulty, int) and not isinstance(difficulty, bool) else _kind(difficulty)
        raise ValueError(f'"difficulty" must be an integer >= 1, got {got}')
    answer = row.get("answer")
    if answer is not None and (not isinstance(answer, str) or not answer.strip()):
        raise ValueError(f'"answer" must be a non-empty string (e.g. "27", not 27), got {_kind(answer)}')
    context = row.get("context")
    context = [] if context is None or context == "" else [context] if isinstance(context, str) else context
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        raise ValueError(f'"context" must be a string or a list of strings, got {_kind(row.get("context"))}')
    question = Question(str(qid), " ".join(row["question"].split()), difficulty, "qa", tuple(context))
    return question, None if answer is None else " ".join(answer.split())


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list holding " + ", ".join(sorted({_kind(v) for v in value})) if value else "an empty list"
    names = {dict: "an object", bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


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
