"""Propagation of node verdicts: an edited subanswer recomposes every graph that used it, a rejected one drops
them. The decomposer's program (the task's H by default) is run again through the `Executor` with an answerer
that gives the corrected answers for the reviewed prompts and the answers the model gave before for every other
prompt of the cycle; a prompt the model was never asked (H may ask something new once a subanswer changed) goes
to `fallback` (the model M_n, loaded only then), or fails that graph, which is then dropped.

    changes, record = propagate(rows, {key: "17"}, programs, questions, fallback=None)
    changes[question_id].answer     # the recomposed target (None: dropped)
    record == [{"verdict_item": key, "verdict": "edit", "question_ids": [...]}]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from decomposition import Answer, Answerer, Budget, Executor, Program, SubquestionGraph
from ida.amplify.examples import is_usable
from ida.review.nodes import memo_key, model_nodes, parse_memo_key
from ida.store import ExampleRow
from ida.tasks import Question

REVIEWED_BY = "overseer"  # answered_by of a subanswer an overseer corrected


@dataclass(frozen=True)
class Change:
    """What a node verdict did to one example: its new target (None: dropped) and graph, and the keys of the
    verdicts that caused it."""

    question_id: str
    answer: str | None
    graph: dict[str, Any] | None
    keys: tuple[str, ...]
    reason: str = ""


class LookupAnswerer:
    """Answers a prompt with its correction, else with the answer the model gave before, else asks `fallback`
    (when there is one) or fails the prompt."""

    def __init__(self, version: str, known: dict[str, Answer], fallback: Answerer | None) -> None:
        self.version, self.known, self.fallback = version, known, fallback
        self.asked_fallback = 0

    def answer(self, prompts: list[str]) -> list[Answer]:
        missing = [p for p in dict.fromkeys(prompts) if p not in self.known]
        if missing and self.fallback is not None:
            self.asked_fallback += len(missing)
            self.known.update(zip(missing, self.fallback.answer(missing)))
        return [self.known.get(p) or Answer("", error="the model was never asked this") for p in prompts]


def propagate(rows: list[ExampleRow], corrections: dict[str, str | None],
              programs: Callable[[Question], Program], questions: dict[str, Question],
              fallback: Callable[[str], Answerer | None] = lambda version: None,
              budget: Budget | None = None) -> tuple[dict[str, Change], list[dict[str, Any]]]:
    """Apply node verdicts (memo key -> corrected answer, None for a reject) to every graph that used them.
    Returns the changed examples by question id and, per verdict, the questions whose targets it changed."""
    touched = {r.question_id: keys for r in rows
               if (keys := tuple(dict.fromkeys(k for _, k in model_nodes(r) if k in corrections)))}
    changes: dict[str, Change] = {}
    rerun: dict[str, list[ExampleRow]] = {}
    for r in rows:
        keys = touched.get(r.question_id)
        if not keys:
            continue
        if any(corrections[k] is None for k in keys) or r.question_id not in questions:
            changes[r.question_id] = Change(r.question_id, None, None, keys, "a subanswer it used was rejected")
        else:
            rerun.setdefault(r.provenance.get("model_version") or "", []).append(r)
    for version, group in rerun.items():
        known = _known(rows, version, corrections)
        answerer = LookupAnswerer(version, known, fallback(version))
        qs = [questions[r.question_id] for r in group]
        runs = Executor(answerer, budget or Budget()).run(qs, [programs(q) for q in qs])
        for r, run in zip(group, runs):
            answer = run.answer if run.ok and is_usable(run.answer) else None
            graph = _mark_reviewed(run.graph, version, corrections) if answer is not None else None
            changes[r.question_id] = Change(r.question_id, answer, graph, touched[r.question_id], run.error or "")
    return changes, _record(rows, corrections, touched, changes)


def _known(rows: list[ExampleRow], version: str, corrections: dict[str, str | None]) -> dict[str, Answer]:
    """prompt -> answer for one model version: the corrections, else what the model answered in any graph."""
    known: dict[str, Answer] = {}
    for r in rows:
        for node, key in model_nodes(r):
            v, prompt = parse_memo_key(key)
            if v == version and prompt not in known:
                logprobs = node.get("logprobs")
                known[prompt] = Answer(node["answer"] or "", None if logprobs is None else tuple(logprobs))
    for key, answer in corrections.items():
        v, prompt = parse_memo_key(key)
        if v == version and answer is not None:
            known[prompt] = Answer(answer)
    return known


def _mark_reviewed(graph: SubquestionGraph, version: str, corrections: dict[str, str | None]) -> dict[str, Any]:
    """The recomposed graph as JSON, the corrected subanswers marked as the overseer's."""
    for n in graph.nodes():
        attrs = graph.node(n)
        key = memo_key(version, attrs["prompt"])
        if n != graph.root and corrections.get(key) is not None and attrs["status"] == "answered":
            graph.set_answer(n, corrections[key], REVIEWED_BY)
    return graph.to_json()


def _record(rows: list[ExampleRow], corrections: dict[str, str | None], touched: dict[str, tuple[str, ...]],
            changes: dict[str, Change]) -> list[dict[str, Any]]:
    """Per edit/reject verdict: the questions whose targets it changed (a new answer, or dropped)."""
    before = {r.question_id: r.answer if is_usable(r.answer) else None for r in rows}
    out = []
    for key, answer in corrections.items():
        qids = [q for q, keys in touched.items() if key in keys and changes[q].answer != before[q]]
        out.append({"verdict_item": key, "verdict": "reject" if answer is None else "edit", "question_ids": qids})
    return out
