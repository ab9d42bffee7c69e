"""A subquestion graph (its stored JSON) as Graphviz DOT for `st.graphviz_chart`, node status coloured.

Labels are quoted DOT strings (never HTML-like labels), so model text is drawn as text."""

from __future__ import annotations

from decomposition.graph import ROOT, SubquestionGraph
from oversight_ui.labels import who

STATUS_COLOURS = {"pending": "#e0e0e0", "answered": "#cfe3ff", "direct": "#d4f0d4", "failed": "#ffc9c9"}
STATUS_NAMES = {"answered": "answered by the model", "direct": "answered by H (or an overseer)", "failed": "failed",
                "pending": "not answered"}
HIGHLIGHT = "#d9480f"


def legend_html() -> str:
    """The graph's colours as a legend (fixed text of ours only: never model text)."""
    chip = ('<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;width:12px;'
            'height:12px;border-radius:3px;background:{};border:{};vertical-align:-1px"></span> {}</span>')
    chips = [chip.format(STATUS_COLOURS[k], "1px solid #999", v) for k, v in STATUS_NAMES.items()]
    chips.append(chip.format("#ffffff", f"3px solid {HIGHLIGHT}", "under review"))
    return '<div style="font-size:0.85rem">' + "".join(chips) + "</div>"
MAX_LABEL = 60


def status_key(attrs: dict) -> str:
    """The colour a node gets: an answer H (or an overseer) gave itself is H's colour, whatever its status says
    (the root is `answered` by H when it recomposes)."""
    by = (attrs.get("answered_by") or "").removeprefix("memo:")
    if attrs.get("status") == "answered" and (by == "H" or by.startswith(("H:", "overseer"))):
        return "direct"
    return attrs.get("status") or "pending"


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
            label += f"  · {who(a['answered_by'])}"
        extra = f", penwidth=3, color=\"{HIGHLIGHT}\"" if n == highlight else ""
        colour = STATUS_COLOURS.get(status_key(a), "#ffffff")
        lines.append(f"  n{n} [label={quote(label)}, fillcolor=\"{colour}\"{extra}];")
    lines += [f"  n{u} -> n{v};" for u, v in graph.nx.edges]
    lines.append("}")
    return "\n".join(lines)


def node_rows(graph_json: dict) -> list[dict]:
    """The subanswers as table rows (topological order), for `st.dataframe` (which renders text as text)."""
    graph = SubquestionGraph.from_json(graph_json)
    confidence = {n.get("id"): n.get("confidence") for n in graph_json.get("nodes", [])}
    rows = []
    for n in graph.nodes():
        a = graph.node(n)
        row = {"node": "question" if n == ROOT else str(n), "subquestion": a["text"], "answer": a["answer"],
               "answered by": who(a["answered_by"]), "status": STATUS_NAMES.get(status_key(a), a["status"]),
               "depends on": ", ".join(map(str, graph.dependencies(n)))}
        if any(c is not None for c in confidence.values()):
            row["confidence"] = confidence.get(n)
        rows.append(row)
    return rows
