"""`SubquestionGraph`: the transcript of one amplified question, as a DAG of subquestion nodes.

Node 0 is the root (the original question). Every other node is a subquestion; an edge u -> v means v depends on
u's answer. The root depends on every subquestion (H recomposes their answers), so `add_node` also adds an edge
node -> root: the root comes last in topological order and `depth()` counts the sequential rounds of
subquestions the question needed (0 when H answered it directly).

The graph is plain data (reviewed in the UI, stored as JSON, drawn via `.nx`); the `Executor` fills it in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import networkx as nx

Status = Literal["pending", "answered", "direct", "failed"]
STATUSES: tuple[str, ...] = ("pending", "answered", "direct", "failed")
RESOLVED: tuple[str, ...] = ("answered", "direct")  # statuses whose answer a dependent node may use
ROOT = 0
JSON_FORMAT = 1
_FIELDS = ("text", "prompt", "status", "answer", "answered_by", "error", "logprobs", "confidence")


class GraphError(ValueError):
    """The graph would become invalid (a cycle, an unknown node, a bad status)."""


class BudgetExceeded(GraphError):
    """Adding a node would exceed the graph's `max_nodes`."""


class SubquestionGraph:
    """A DAG of subquestions under one root question; the networkx graph is `.nx` (node attributes as in
    `_FIELDS`), extra JSON-able metadata (e.g. the question id) may go in `.meta`."""

    def __init__(self, text: str, prompt: str | None = None, *, max_nodes: int = 512) -> None:
        if max_nodes < 1:
            raise GraphError(f"max_nodes must be at least 1, got {max_nodes}")
        self.max_nodes = max_nodes
        self.nx: nx.DiGraph = nx.DiGraph()
        self._next_id = ROOT
        self._insert(text, text if prompt is None else prompt)

    # -- building -------------------------------------------------------------------------------------------

    def add_node(self, text: str, prompt: str | None = None, depends_on: Iterable[int] = ()) -> int:
        """Add a pending subquestion that depends on the answers of `depends_on`; returns its id.

        Raises `BudgetExceeded` past `max_nodes`, `GraphError` for an unknown dependency or a cycle (depending on
        the root is one, since the root depends on every subquestion). On error the graph is unchanged."""
        deps = list(dict.fromkeys(depends_on))
        if len(self) >= self.max_nodes:
            raise BudgetExceeded(f"graph already has max_nodes={self.max_nodes} nodes")
        for dep in deps:
            self._require(dep)
            if dep == ROOT:
                raise GraphError("a subquestion cannot depend on the root (the root depends on it): cycle")
        node = self._insert(text, text if prompt is None else prompt)
        self.nx.add_edges_from((dep, node) for dep in deps)
        self.nx.add_edge(node, ROOT)
        return node

    def add_edge(self, u: int, v: int) -> None:
        """Record that v depends on u's answer; raises `GraphError` if that closes a cycle or a node is unknown."""
        self._require(u)
        self._require(v)
        if u == v or nx.has_path(self.nx, v, u):
            raise GraphError(f"edge {u} -> {v} would make a cycle")
        self.nx.add_edge(u, v)

    def set_answer(self, node: int, answer: str, answered_by: str, status: Status = "answered",
                   logprobs: Iterable[float] | None = None) -> None:
        """Record an answer; `status` is "answered" (by a model or person) or "direct" (H answered itself). With
        token `logprobs`, the node's `confidence` is the answer's probability exp(sum logprobs), else None."""
        if status not in RESOLVED:
            raise GraphError(f"an answer's status must be one of {RESOLVED}, got {status!r}")
        lps = None if logprobs is None else [float(x) for x in logprobs]
        self._require(node).update(status=status, answer=answer, answered_by=answered_by, error=None,
                                   logprobs=lps, confidence=confidence(lps))

    def set_failed(self, node: int, error: str) -> None:
        """Mark a node failed with a message; a failed node is never ready and blocks its dependents."""
        self._require(node).update(status="failed", error=error)

    # -- reading --------------------------------------------------------------------------------------------

    @property
    def root(self) -> int:
        return ROOT

    def node(self, node: int) -> dict[str, Any]:
        """The attribute dict of a node (live: edit through `set_answer` / `set_failed`)."""
        return self._require(node)

    def dependencies(self, node: int) -> list[int]:
        """The nodes whose answers `node` depends on, ascending."""
        self._require(node)
        return sorted(self.nx.predecessors(node))

    def ready_nodes(self) -> list[int]:
        """Pending subquestions whose dependencies are all answered, ascending. The root is never ready: H
        answers it by recomposing, not the answerer."""
        return [n for n in sorted(self.nx.nodes) if n != ROOT and self.nx.nodes[n]["status"] == "pending"
                and all(self.nx.nodes[d]["status"] in RESOLVED for d in self.nx.predecessors(n))]

    def depth(self) -> int:
        """Length (in edges) of the longest dependency path: the rounds of subquestions this question took."""
        return nx.dag_longest_path_length(self.nx)

    def nodes(self) -> Iterator[int]:
        """Node ids in topological order (dependencies first, the root last), ties broken by id."""
        return iter(nx.lexicographical_topological_sort(self.nx, key=int))

    def __len__(self) -> int:
        return self.nx.number_of_nodes()

    def __contains__(self, node: object) -> bool:
        return node in self.nx

    @property
    def meta(self) -> dict[str, Any]:
        return self.nx.graph

    # -- JSON -----------------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict; `from_json(g.to_json())` reproduces nodes, attributes, edges and their order."""
        return {
            "format": JSON_FORMAT,
            "max_nodes": self.max_nodes,
            "meta": dict(self.nx.graph),
            "nodes": [{"id": n, **{k: _copy(a[k]) for k in _FIELDS}} for n, a in self.nx.nodes(data=True)],
            "edges": [[u, v] for u, v in self.nx.edges],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubquestionGraph:
        """Rebuild a graph from `to_json`'s dict, checking it is a valid DAG with the root present."""
        if data.get("format") != JSON_FORMAT:
            raise GraphError(f"unknown graph JSON format {data.get('format')!r}")
        graph = cls.__new__(cls)
        graph.max_nodes = int(data["max_nodes"])
        graph.nx = nx.DiGraph()
        graph.nx.graph.update(data.get("meta", {}))
        for item in data["nodes"]:
            attrs = {k: _copy(item[k]) for k in _FIELDS if k != "confidence"}
            # graphs stored before nodes had a confidence get it from their log-probs
            attrs["confidence"] = item.get("confidence", confidence(attrs["logprobs"]))
            if attrs["status"] not in STATUSES:
                raise GraphError(f"node {item['id']}: unknown status {attrs['status']!r}")
            graph.nx.add_node(int(item["id"]), **attrs)
        for u, v in data["edges"]:
            if u not in graph.nx or v not in graph.nx:
                raise GraphError(f"edge {u} -> {v} refers to an unknown node")
            graph.nx.add_edge(u, v)
        if ROOT not in graph.nx or not nx.is_directed_acyclic_graph(graph.nx):
            raise GraphError("graph JSON must contain the root (node 0) and no cycle")
        graph._next_id = max(graph.nx.nodes) + 1
        return graph

    # -- internals ------------------------------------------------------------------------------------------

    def _insert(self, text: str, prompt: str) -> int:
        if not isinstance(text, str) or not isinstance(prompt, str):
            raise GraphError(f"text and prompt must be str, got {type(text).__name__}, {type(prompt).__name__}")
        node, self._next_id = self._next_id, self._next_id + 1
        self.nx.add_node(node, text=text, prompt=prompt, status="pending", answer=None, answered_by=None,
                         error=None, logprobs=None, confidence=None)
        return node

    def _require(self, node: int) -> dict[str, Any]:
        if node not in self.nx:
            raise GraphError(f"unknown node {node!r}")
        return self.nx.nodes[node]

    def __repr__(self) -> str:
        counts = {s: 0 for s in STATUSES}
        for _, status in self.nx.nodes(data="status"):
            counts[status] += 1
        return f"SubquestionGraph({self.nx.nodes[ROOT]['text']!r}, nodes={len(self)}, {counts})"


def confidence(logprobs: Iterable[float] | None) -> float | None:
    """The probability of an answer from its token log-probs (exp of their sum); None when unknown."""
    if logprobs is None:
        return None
    total = sum(logprobs)
    return math.exp(min(total, 0.0)) if math.isfinite(total) else None  # log-probs are <= 0; guard bad input


def _copy(value: Any) -> Any:
    """Lists (log-probs) are copied so a JSON dict and a graph never share mutable state."""
    return list(value) if isinstance(value, list) else value
