"""What a reviewer sees of one review item: the question (and subquestion), the answer under review, the facts
to check it against (`Task.evidence`), the model's confidence, the graphs a node's answer went into, and the
true answer only when the run opts in (`review.show_truth`). The oversight app renders an `ItemView`; no torch.

    task = build_task(read_run(run_dir).config)          # ida.run; the task has no model stack
    view = lease_view(store, task, lease, show_truth=config.review.show_truth)
    view.evidence, view.confidence, view.used_by, view.truth
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from decomposition.graph import ROOT
from ida.review.nodes import NodeItem, example_confidence, node_item, node_items
from ida.review.outcome import subquestion, truth
from ida.store import ExampleRow, Lease, Store
from ida.tasks import Question, Task


@dataclass(frozen=True)
class ItemView:
    """One review item as a reviewer sees it. `answer` is what is judged (the amplified answer of an example,
    the model's subanswer of a node); `confidence` the model's probability of it (an example: its least
    confident subanswer; None when unknown); `evidence` the facts to check it; `used_by` the question ids whose
    targets rest on a node's answer; `truth` None unless `show_truth`; `facts` every fact of the question's world
    (`Task.facts`: the in-weights world, or the question's context) for a reviewer to search beyond the evidence."""

    kind: Literal["example", "node"]
    question: str
    subquestion: str | None
    answer: str | None
    confidence: float | None
    evidence: list[str] = field(default_factory=list)
    used_by: list[str] = field(default_factory=list)
    key: str | None = None
    truth: str | None = None
    facts: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the evidence as an ordered, numbered derivation
    legend: str = ""  # what the evidence's symbols mean, one line
    guidelines: str = ""  # how to judge an answer of this task


def derivation(task: Task, question: Question, evidence: list[str]) -> list[str]:
    """The evidence as numbered steps: the task's own `derivation(question)` when it has one, else the evidence
    lines in order, numbered."""
    try:
        own = task.derivation(question)
    except (ValueError, KeyError, IndexError):  # a stored question the task can no longer derive
        own = None
    if own is not None:
        return list(own)
    return [f"{i}. {line}" for i, line in enumerate(evidence, 1)]


def _explained(view: ItemView, task: Task, question: Question) -> ItemView:
    """The view with the derivation, the legend and the task's review guidelines filled in."""
    from dataclasses import replace

    return replace(view, steps=derivation(task, question, view.evidence) if view.evidence else [],
                   legend=task.legend or "", guidelines=task.review_guidelines or "")


def question_of(task: Task, row: ExampleRow) -> Question:
    """The example's question rebuilt from its stored row (text from the graph's root, facts from the prompt)."""
    root = row.graph.get("nodes", [{}])[0]
    text = root.get("text") or row.prompt.rstrip(" =")
    head, sep, _ = row.prompt.partition(" | ")
    context = tuple(head.split(" ; ")) if sep else ()
    return Question(row.question_id, text, row.difficulty, task.name, context)


def lines_of(ask: Callable[[Question], list[str]], question: Question) -> list[str]:
    """`ask(question)` (the task's `evidence` or `facts`) as a list, or [] when the task cannot parse the question
    (e.g. an LLM plan prompt)."""
    try:
        return list(ask(question))
    except (ValueError, KeyError, IndexError):
        return []


def item_view(task: Task, row: ExampleRow, node: int = ROOT, show_truth: bool = False,
              rows: list[ExampleRow] | None = None) -> ItemView:
    """The view of `row`'s whole example (node 0) or of one of its graph's nodes; `rows` (the cycle's
    examples) lets a node item list every question that used its answer."""
    root = question_of(task, row)
    if node == ROOT:
        view = ItemView("example", root.text, None, row.answer, example_confidence(row), lines_of(task.evidence, root),
                        [row.question_id], None, truth(task, root) if show_truth else None, lines_of(task.facts, root))
        return _explained(view, task, root)
    attrs = next(n for n in row.graph["nodes"] if n["id"] == node)
    sub = subquestion(root, attrs["text"], {})
    item = next((i for i in node_items(rows or [row]) if any(u.question_id == row.question_id and u.node == node
                                                             for u in i.uses)), None)
    view = ItemView("node", root.text, attrs["text"], attrs["answer"], attrs.get("confidence"),
                    lines_of(task.evidence, sub), item.question_ids if item else [row.question_id],
                    item.key if item else None, truth(task, sub) if show_truth else None, lines_of(task.facts, root))
    return _explained(view, task, sub)


def lease_view(store: Store, task: Task, lease: Lease, show_truth: bool = False) -> ItemView | None:
    """The view of a leased item (None when its example is gone)."""
    row = store.example(lease.run_id, lease.cycle, lease.question_id)
    if row is None:
        return None
    rows = store.examples(lease.run_id, lease.cycle) if lease.node != ROOT else None
    return item_view(task, row, lease.node, show_truth, rows)


def lease_node_item(store: Store, lease: Lease) -> NodeItem | None:
    """The `NodeItem` (memo key, answer, confidence, every graph node that used it) of a node lease; None for
    a whole-example lease."""
    if lease.key is None:
        return None
    return node_item(store.examples(lease.run_id, lease.cycle), lease.key)
