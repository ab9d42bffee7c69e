"""Node items: the model-answered subquestions of a cycle's graphs, one per memo key, and their confidence.

A subanswer is reused across graphs: the executor asks each (model version, prompt) once and every graph that
needs it gets the same answer. So the unit of subtask review is the memo key, not the graph node: one verdict on
`perm 9 ^ 1 = 28` fixes every target built on it (`ida.review.propagate`). In the queue a node item is stored
under the first graph node that used it (question id, node id) and carries its key (`review_items.key`).

    items = node_items(rows)                  # NodeItem per memo key, in storage order (sample them!)
    item.key, item.answer, item.confidence, item.question_ids
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from decomposition.graph import ROOT
from ida.store import ExampleRow

MEMO_PREFIX = "memo:"  # the executor's answered_by for a memoized answer


def memo_key(version: str, prompt: str) -> str:
    """The memo key of a subanswer: the model version and the exact prompt it answered (JSON, so any text is
    safe)."""
    return json.dumps([version, prompt], ensure_ascii=False)


def parse_memo_key(key: str) -> tuple[str, str]:
    """(model version, prompt) of a memo key."""
    version, prompt = json.loads(key)
    return version, prompt


def model_version(node: dict[str, Any], row_version: str | None) -> str | None:
    """The model version that answered a graph node (its JSON dict), or None when H, a person or nobody did.
    With the example's provenance version known, only nodes answered by that version count."""
    by = node.get("answered_by")
    if node.get("id") == ROOT or node.get("status") != "answered" or not isinstance(by, str):
        return None
    version = by.removeprefix(MEMO_PREFIX)
    if row_version is not None:
        return version if version == row_version else None
    return None if version == "H" or version.startswith(("H:", "overseer")) else version


def model_nodes(row: ExampleRow) -> list[tuple[dict[str, Any], str]]:
    """The model-answered nodes of an example's graph, with their memo keys, in node order."""
    version = row.provenance.get("model_version")
    out = []
    for node in row.graph.get("nodes", []):
        v = model_version(node, version)
        if v is not None and isinstance(node.get("prompt"), str):
            out.append((node, memo_key(v, node["prompt"])))
    return out


def h_only(row: ExampleRow) -> bool:
    """H answered this example alone: no subanswer of a model went into it."""
    return not model_nodes(row)


def example_confidence(row: ExampleRow) -> float | None:
    """The confidence of the least confident subanswer the example's target rests on; None when none is
    known (H answered alone, or the answerer gives no log-probs)."""
    known = [n["confidence"] for n, _ in model_nodes(row) if n.get("confidence") is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class NodeUse:
    """One graph node that used a subanswer."""

    question_id: str
    node: int


@dataclass
class NodeItem:
    """A model-answered subquestion, once per memo key: its text, prompt, the model's answer and confidence
    (exp of the summed token log-probs; None when unknown), and every graph node that used the answer."""

    key: str
    version: str
    text: str
    prompt: str
    answer: str
    confidence: float | None
    difficulty: int  # of the first question whose graph used it (see `ida.review.sampling`)
    uses: list[NodeUse] = field(default_factory=list)

    @property
    def first(self) -> NodeUse:
        """Where the item is stored in the queue."""
        return self.uses[0]

    @property
    def question_ids(self) -> list[str]:
        """The questions whose targets rest on this subanswer, once each, in storage order."""
        return list(dict.fromkeys(u.question_id for u in self.uses))


def node_items(rows: list[ExampleRow]) -> list[NodeItem]:
    """One `NodeItem` per memo key over the rows' graphs, in storage order (first use)."""
    items: dict[str, NodeItem] = {}
    for row in rows:
        for node, key in model_nodes(row):
            item = items.get(key)
            if item is None:
                version, _ = parse_memo_key(key)
                item = items[key] = NodeItem(key, version, node["text"], node["prompt"], node["answer"] or "",
                                             node.get("confidence"), row.difficulty)
            item.uses.append(NodeUse(row.question_id, int(node["id"])))
    return list(items.values())


def node_item(rows: list[ExampleRow], key: str) -> NodeItem | None:
    """The node item of `key` among the rows' graphs (with all its uses), or None."""
    return next((item for item in node_items(rows) if item.key == key), None)


def node_confidence(row: ExampleRow, node: int) -> float | None:
    """The stored confidence of one node of an example's graph (the root: the example's least confident
    subanswer)."""
    if node == ROOT:
        return example_confidence(row)
    found = next((n for n in row.graph.get("nodes", []) if n.get("id") == node), None)
    return None if found is None else found.get("confidence")
