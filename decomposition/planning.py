"""Planning by a prompted model: `PlanDecomposer` (a model plans the subquestions, validated by `parse_plan`) and
`direct_program` (no plan: the model answers the question).

Both give *programs* for the `Executor` (generators that yield batches of subquestions, receive their answers
as strings and return the answer). A `PlanDecomposer` program, for one question:

1. yields the plan prompt (a str) and parses the reply with `parse_plan`;
2. on a `PlanError`, re-asks up to `retries` times with the rejected reply and the reason in the prompt;
3. if no plan is valid, records (question, reason) in `failures` and yields the question to be answered
   directly; an empty plan (the model says the question is simple) is also answered directly, not a failure;
4. otherwise yields the plan's subquestions in dependency waves, `#N` replaced by the answer of subquestion N;
5. yields a recomposition prompt (the question + the numbered subanswers) and returns its answer.

Node ids: the executor numbers yielded items 1, 2, 3, ... in yield order (the root is 0), plan prompts
included. The program counts its own yields the same way, so the `depends_on` of a yielded `Subquestion` holds
graph node ids: for a plan subquestion, the nodes of the subquestions it references, or the accepted plan
prompt's node if it references none; for the recomposition, every subquestion node. A str item (the plan
prompts) carries no `depends_on`: the executor then makes it depend on every node answered so far.

Needs langchain-core (through `prompts`); `decomposition/__init__` does not import this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from decomposition.answerer import Answerer
from decomposition.executor import Execution, Executor, Program
from decomposition.plan_text import bad_character, fenced_blocks, normalise
from decomposition.prompts import answer_prompt, plan_prompt, recompose_prompt, retry_prompt

_REFERENCE = re.compile(r"#(\d+)")
_MAX_FENCED_BLOCKS = 16  # a reply with more code blocks is not a plan; bounds the JSON parses tried


class PlanError(ValueError):
    """A model's plan is invalid; the message says why, for a person and for the model's retry prompt."""


@dataclass(frozen=True)
class PlannedSubquestion:
    """One subquestion of a plan; `depends_on` = its declared dependencies and its `#N` references, sorted."""

    id: int
    text: str
    depends_on: tuple[int, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A validated plan for `question` (an empty plan means: answer the question directly)."""

    question: str
    subquestions: tuple[PlannedSubquestion, ...]

    def waves(self) -> list[list[PlannedSubquestion]]:
        """Subquestions grouped by dependency depth: wave k holds those whose longest chain has k + 1 links."""
        depth: dict[int, int] = {}
        for sq in self.subquestions:  # sorted by id, and dependencies point to smaller ids
            depth[sq.id] = 1 + max((depth[d] for d in sq.depends_on), default=0)
        waves: list[list[PlannedSubquestion]] = [[] for _ in range(max(depth.values(), default=0))]
        for sq in self.subquestions:
            waves[depth[sq.id] - 1].append(sq)
        return waves


@dataclass(frozen=True)
class Subquestion:
    """What the programs yield: `text` for people, `prompt` for the model, `depends_on` graph node ids."""

    text: str
    prompt: str
    depends_on: tuple[int, ...] = ()
    kind: Literal["subquestion", "direct", "recompose"] = "subquestion"


# -- parsing ----------------------------------------------------------------------------------------------------


def parse_plan(text: str, question: str, max_subquestions: int = 8, max_depth: int = 4) -> Plan:
    """Parse and validate a model's plan; raises only `PlanError` (with a readable reason) for any input."""
    data = _load_json(text)
    items = _schema(data)
    if len(items) > max_subquestions:
        raise PlanError(f"the plan has {len(items)} subquestions, more than the allowed {max_subquestions}")
    subquestions = sorted((_subquestion(i, item) for i, item in enumerate(items, start=1)), key=lambda s: s.id)
    _check_ids(subquestions)
    for sq in subquestions:
        _check_subquestion(sq, question, len(subquestions))
    plan = Plan(question, tuple(subquestions))
    if len(waves := plan.waves()) > max_depth:
        raise PlanError(f"the plan's longest chain of dependent subquestions has {len(waves)} steps, more than "
                        f"the allowed {max_depth}")
    return plan


def fill_references(text: str, answers: Mapping[int, str]) -> str:
    """Replace every `#N` in `text` by the answer of subquestion N (left as is when N has no answer)."""
    return _REFERENCE.sub(lambda m: answers[n].strip() if (n := _ref(m.group(1))) in answers else m.group(0), text)


def _load_json(text: Any) -> Any:
    """The JSON in `text`: all of it, else a ```json fenced block, else the outermost {...} span."""
    if not isinstance(text, str):
        raise PlanError(f"the plan must be text, got {type(text).__name__}")
    candidates = [text.strip(), *(block.strip() for block in fenced_blocks(text, _MAX_FENCED_BLOCKS))]
    if (start := text.find("{")) != -1 and (end := text.rfind("}")) > start:
        candidates.append(text[start:end + 1])
    error = "the reply is empty"
    for candidate in filter(None, candidates):
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested input
            error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RecursionError) else "nested too deeply"
    raise PlanError(f"the reply is not valid JSON ({error})")


def _schema(data: Any) -> list[Any]:
    if not isinstance(data, dict) or "subquestions" not in data:
        raise PlanError('the plan must be a JSON object with a "subquestions" list')
    items = data["subquestions"]
    if not isinstance(items, list):
        raise PlanError(f'"subquestions" must be a list, got {_kind(items)}')
    return items


def _subquestion(position: int, item: Any) -> PlannedSubquestion:
    """Schema of one entry: {"id": int, "text": non-empty str, "depends_on": [int, ...] (optional)}."""
    where = f"subquestion #{position} in the list"
    if not isinstance(item, dict):
        raise PlanError(f"{where} must be an object, got {_kind(item)}")
    sq_id, text, deps = item.get("id"), item.get("text"), item.get("depends_on", [])
    if not _is_int(sq_id):
        raise PlanError(f'{where} needs an integer "id", got {_kind(sq_id)}')
    if not isinstance(text, str) or not text.strip():
        raise PlanError(f'subquestion {sq_id} needs a non-empty "text"')
    if (why := bad_character(text)) is not None:
        raise PlanError(f'subquestion {sq_id}: its "text" holds {why}')
    if deps is None:
        deps = []
    if not isinstance(deps, list) or not all(_is_int(d) for d in deps):
        raise PlanError(f'subquestion {sq_id}: "depends_on" must be a list of integer ids')
    references = {_ref(n) for n in set(_REFERENCE.findall(text))}  # distinct first: "#1" may come 50,000 times
    return PlannedSubquestion(sq_id, text.strip(), tuple(sorted(set(deps) | references)))


def _check_ids(subquestions: Sequence[PlannedSubquestion]) -> None:
    ids = [sq.id for sq in subquestions]  # sorted
    if ids != list(range(1, len(ids) + 1)):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        detail = f"id {duplicates[0]} is used twice" if duplicates else f"got ids {_short(ids)}"
        raise PlanError(f"subquestion ids must be 1, 2, ..., {len(ids)}, each used once: {detail}")


def _check_subquestion(sq: PlannedSubquestion, question: str, count: int) -> None:
    for dep in sq.depends_on:
        if dep < 1 or dep > count:
            raise PlanError(f"subquestion {sq.id} refers to #{dep}, which does not exist")
        if dep == sq.id:
            raise PlanError(f"subquestion {sq.id} depends on itself (a cycle)")
        if dep > sq.id:
            raise PlanError(f"subquestion {sq.id} depends on #{dep}, which is not an earlier subquestion "
                            "(dependencies must point back, so cycles are impossible)")
    if normalise(sq.text) == normalise(question):
        # a plan that asks the question again would decompose it forever (the Patchwork infinite-loop bug)
        raise PlanError(f"subquestion {sq.id} repeats the question itself")


def _ref(digits: str) -> int:
    return int(digits) if len(digits) <= 9 else 10**9  # int() refuses >4300 digits; any huge id is invalid


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(values: Sequence[Any], limit: int = 10) -> str:
    return repr(list(values[:limit]))[:-1] + (", ...]" if len(values) > limit else "]")


# -- programs ---------------------------------------------------------------------------------------------------


class _Decomposer:
    """Shared: `run` answers questions with the decomposer's own answerer through one memoizing executor."""

    def __init__(self, answerer: Answerer | None) -> None:
        self.answerer = answerer
        self._executor: Executor | None = None

    def program(self, question: str) -> Program:
        raise NotImplementedError

    def run(self, questions: Sequence[str]) -> list[Execution]:
        if self.answerer is None:
            raise ValueError("run() needs the decomposer's answerer; or pass program()s to an Executor")
        if self._executor is None:
            self._executor = Executor(self.answerer)
        return self._executor.run(list(questions), [self.program(q) for q in questions])


def direct_program(question: str) -> Program:
    """No decomposition: one node asks the question, its answer is the answer (the baseline)."""
    [answer] = yield [Subquestion(question, answer_prompt(question), kind="direct")]
    return answer


class PlanDecomposer(_Decomposer):
    """A model proposes the plan (see the module docstring). `failures` collects (question, reason) for every
    question whose plan stayed invalid after the retries and was answered directly instead."""

    def __init__(self, answerer: Answerer | None = None, max_subquestions: int = 8, max_depth: int = 4,
                 retries: int = 1) -> None:
        if max_subquestions < 1 or max_depth < 1 or retries < 0:
            raise ValueError("need max_subquestions >= 1, max_depth >= 1, retries >= 0")
        super().__init__(answerer)
        self.max_subquestions, self.max_depth, self.retries = max_subquestions, max_depth, retries
        self.failures: list[tuple[str, str]] = []

    def program(self, question: str, failures: list[tuple[str, str]] | None = None) -> Program:
        """The program for `question`; a fallback is recorded in `self.failures` and in `failures` if given."""
        nodes = _NodeIds()
        plan = yield from self._plan(question, nodes)
        if isinstance(plan, str):  # the reason no plan was valid
            for sink in (self.failures, failures):
                if sink is not None:
                    sink.append((question, plan))
        if isinstance(plan, str) or not plan.subquestions:
            [answer] = yield [Subquestion(question, answer_prompt(question), kind="direct")]
            return answer
        plan_node = nodes.last
        node_of: dict[int, int] = {}  # plan id -> graph node id
        answers: dict[int, str] = {}
        for wave in plan.waves():
            batch = []
            for sq in wave:
                text = fill_references(sq.text, answers)
                deps = tuple(node_of[d] for d in sq.depends_on) or (plan_node,)
                batch.append(Subquestion(text, answer_prompt(text), deps))
            replies = yield batch
            for sq, node, reply in zip(wave, nodes.take(len(batch)), replies):
                node_of[sq.id], answers[sq.id] = node, reply
        subanswers = [(fill_references(sq.text, answers), answers[sq.id]) for sq in plan.subquestions]
        recompose = Subquestion(f"Recompose the answers to: {question}", recompose_prompt(question, subanswers),
                                tuple(node_of[sq.id] for sq in plan.subquestions), kind="recompose")
        [answer] = yield [recompose]
        return answer

    def _plan(self, question: str, nodes: _NodeIds) -> Any:
        """Sub-generator: yields plan prompts until one parses; returns the `Plan`, or the last reason (str)."""
        prompt = plan_prompt(question, self.max_subquestions, self.max_depth)
        reason = ""
        for _ in range(self.retries + 1):
            [reply] = yield [prompt]
            nodes.take(1)
            try:
                return parse_plan(reply, question, self.max_subquestions, self.max_depth)
            except PlanError as exc:
                reason = str(exc)
                prompt = retry_prompt(question, reply, reason, self.max_subquestions, self.max_depth)
        return reason


class _NodeIds:
    """Mirrors the executor's numbering: the k-th item a program yields (over all its batches) is node k."""

    def __init__(self) -> None:
        self.last = 0

    def take(self, count: int) -> range:
        first, self.last = self.last + 1, self.last + count
        return range(first, self.last + 1)
