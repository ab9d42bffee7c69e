"""A subquestion graph (its stored JSON) as Graphviz DOT for `st.graphviz_chart`, node status coloured.

Labels are quoted DOT strings (never HTML-like labels), so model text is drawn as text."""

from __future__ import annotations

from decomposition.graph import ROOT, SubquestionGraph

STATUS_COLOURS = {"pending": "#e0e0e0", "answered": "#cfe3ff", "direct": "#d4f0d4", "failed": "#ffc9c9"}
MAX_LABEL = 60


def quote(text: str) -> str:
    """A DOT string literal: backslashes and quotes escaped, newlines as \\n, long text cut."""
    text = text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph_json: dict, highlight: int | None = None) -> str:
    """DOT for the graph: one box per node (`id: text` / `= answer · by`), dependencies as edges."""
    graph = SubquestionGraph.from_json(graph_json)
    lines = ["digraph G {", "  rankdir=TB; bgcolor=transparent;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];']
    for n in graph.nodes():
        a = graph.node(n)
        answer = a["answer"] if a["answer"] is not None else (a["error"] or a["status"])
        label = f"{'question' if n == ROOT else n}: {a['text']}\n= {answer}"
        if a["answered_by"]:
            label += f"  · {a['answered_by']}"
        extra = ", penwidth=3, color=\"#d9480f\"" if n == highlight else ""
        colour = STATUS_COLOURS.get(a["status"], "#ffffff")
        lines.append(f"  n{n} [label={quote(label)}, fillcolor=\"{colour}\"{extra}];")
    lines += [f"  n{u} -> n{v};" for u, v in graph.nx.edges]
    lines.append("}")
    return "\n".join(lines)


def node_rows(graph_json: dict) -> list[dict]:
    """The subanswers as table rows (topological order), for `st.dataframe` (which renders text as text)."""
    graph = SubquestionGraph.from_json(graph_json)
    return [{"node": "question" if n == ROOT else str(n), "subquestion": graph.node(n)["text"],
             "answer": graph.node(n)["answer"], "answered by": graph.node(n)["answered_by"],
             "status": graph.node(n)["status"], "depends on": ", ".join(map(str, graph.dependencies(n)))}
            for n in graph.nodes()]
