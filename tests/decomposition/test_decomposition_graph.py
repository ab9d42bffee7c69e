"""SubquestionGraph: building, readiness, checks and an exact JSON round trip."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decomposition import BudgetExceeded, GraphError, SubquestionGraph


def test_new_graph_is_a_pending_root():
    g = SubquestionGraph("what is 2+2?", "2+2 =")
    assert len(g) == 1 and g.root == 0
    assert g.node(0)["prompt"] == "2+2 =" and g.node(0)["status"] == "pending"
    assert g.ready_nodes() == [] and g.depth() == 0
    assert SubquestionGraph("q").node(0)["prompt"] == "q"  # prompt defaults to the text


def test_add_answer_and_ready():
    g = SubquestionGraph("root")
    a = g.add_node("a", "A =")
    b = g.add_node("b", "B =")
    c = g.add_node("c", "C =", depends_on=[a, b])
    assert (a, b, c) == (1, 2, 3)
    assert g.ready_nodes() == [a, b]
    g.set_answer(a, "1", "M0", logprobs=(-0.5,))
    assert g.ready_nodes() == [b]
    g.set_answer(b, "2", "H", status="direct")
    assert g.ready_nodes() == [c]
    assert g.node(a) | {} == {"text": "a", "prompt": "A =", "status": "answered", "answer": "1",
                              "answered_by": "M0", "error": None, "logprobs": [-0.5],
                              "confidence": math.exp(-0.5)}
    assert g.dependencies(c) == [a, b] and g.dependencies(0) == [a, b, c]
    assert g.depth() == 2  # a -> c -> root


def test_failed_node_blocks_its_dependents():
    g = SubquestionGraph("root")
    a = g.add_node("a")
    b = g.add_node("b", depends_on=[a])
    g.set_failed(a, "timeout")
    assert g.node(a)["status"] == "failed" and g.node(a)["error"] == "timeout"
    assert g.ready_nodes() == []
    assert b not in g.ready_nodes()


def test_cycles_are_rejected():
    g = SubquestionGraph("root")
    a = g.add_node("a")
    b = g.add_node("b", depends_on=[a])
    with pytest.raises(GraphError, match="cycle"):
        g.add_edge(b, a)
    with pytest.raises(GraphError, match="cycle"):
        g.add_edge(a, a)
    with pytest.raises(GraphError, match="cycle"):
        g.add_node("c", depends_on=[0])  # the root depends on every subquestion
    g.add_edge(a, b)  # an existing edge in the same direction is fine
    assert len(g) == 3 and g.nx.number_of_edges() == 3


def test_unknown_nodes_are_rejected_and_leave_the_graph_unchanged():
    g = SubquestionGraph("root")
    with pytest.raises(GraphError, match="unknown node 7"):
        g.add_node("a", depends_on=[7])
    assert len(g) == 1
    for call in (lambda: g.set_answer(3, "x", "M0"), lambda: g.set_failed(3, "e"), lambda: g.add_edge(0, 3)):
        with pytest.raises(GraphError):
            call()
    with pytest.raises(GraphError, match="status"):
        g.set_answer(0, "x", "H", status="pending")


def test_max_nodes():
    g = SubquestionGraph("root", max_nodes=3)
    g.add_node("a")
    g.add_node("b")
    with pytest.raises(BudgetExceeded):
        g.add_node("c")
    assert isinstance(BudgetExceeded("x"), GraphError) and isinstance(GraphError("x"), ValueError)
    assert len(g) == 3
    with pytest.raises(GraphError):
        SubquestionGraph("root", max_nodes=0)


def test_nodes_are_in_topological_order_root_last():
    g = SubquestionGraph("root")
    a = g.add_node("a")
    b = g.add_node("b")
    c = g.add_node("c", depends_on=[b])
    g.add_edge(c, a)  # a now depends on c
    order = list(g.nodes())
    assert order == [b, c, a, 0]
    assert all(order.index(u) < order.index(v) for u, v in g.nx.edges)


def _same(g: SubquestionGraph, h: SubquestionGraph) -> None:
    assert list(g.nx.nodes(data=True)) == list(h.nx.nodes(data=True))
    assert list(g.nx.edges) == list(h.nx.edges)
    assert g.max_nodes == h.max_nodes and g.meta == h.meta and len(g) == len(h)


@st.composite
def graphs(draw) -> SubquestionGraph:
    """Random DAGs built through the public API, with every status and attribute kind."""
    text = st.text(max_size=8)
    g = SubquestionGraph(draw(text), draw(text), max_nodes=draw(st.integers(20, 600)))
    for _ in range(draw(st.integers(0, 12))):
        deps = draw(st.lists(st.sampled_from(range(1, len(g))), max_size=3)) if len(g) > 1 else []
        node = g.add_node(draw(text), draw(text), deps)
        kind = draw(st.sampled_from(["pending", "answered", "direct", "failed"]))
        if kind == "failed":
            g.set_failed(node, draw(text))
        elif kind != "pending":
            logprobs = draw(st.none() | st.lists(st.floats(allow_nan=False), max_size=4))
            g.set_answer(node, draw(text), draw(st.sampled_from(["M0", "H", "memo:M0", "alice"])), kind, logprobs)
    if draw(st.booleans()):
        g.meta["question_id"] = draw(text)
    return g


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_json_round_trip_is_exact(g: SubquestionGraph):
    data = g.to_json()
    via_text = json.loads(json.dumps(data))
    h = SubquestionGraph.from_json(via_text)
    _same(g, h)
    assert h.to_json() == data
    assert list(h.nodes()) == list(g.nodes()) and h.depth() == g.depth()
    assert h.ready_nodes() == g.ready_nodes()
    if len(g) < g.max_nodes:  # ids continue where the original left off
        assert h.add_node("new") == g.add_node("new")


def test_to_json_does_not_share_state():
    g = SubquestionGraph("root")
    a = g.add_node("a")
    g.set_answer(a, "1", "M0", logprobs=[-1.0])
    data = g.to_json()
    data["nodes"][1]["logprobs"].append(0.0)
    assert g.node(a)["logprobs"] == [-1.0]


def test_from_json_rejects_invalid_graphs():
    g = SubquestionGraph("root")
    g.add_node("a")
    good = g.to_json()
    with pytest.raises(GraphError, match="cycle"):
        SubquestionGraph.from_json({**good, "edges": [[1, 0], [0, 1]]})
    with pytest.raises(GraphError, match="unknown node"):
        SubquestionGraph.from_json({**good, "edges": [[1, 5]]})
    with pytest.raises(GraphError, match="format"):
        SubquestionGraph.from_json({**good, "format": 99})
    bad_status = json.loads(json.dumps(good))
    bad_status["nodes"][1]["status"] = "maybe"
    with pytest.raises(GraphError, match="status"):
        SubquestionGraph.from_json(bad_status)
