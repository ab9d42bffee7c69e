"""Graphs: browse any amplified example of the run, its subquestion graph and subanswers, and where its training
target comes from (a badge: verified / propagated / model), filtered by that provenance if wished."""

from __future__ import annotations

import streamlit as st

from oversight_ui.graph_dot import node_rows, to_dot
from oversight_ui.session import open_stores, require_user


BADGES = {"verified": ("verified: a person saw this question and answer", "green"),
          "propagated": ("propagated: from a node verdict, nobody saw the whole", "orange"),
          "model": ("model: nobody reviewed it", "gray")}
FILTERS = {"all": lambda e: True, **{p: (lambda e, p=p: e.target_provenance == p) for p in BADGES},
           "not reviewed yet": lambda e: e.target_provenance is None}


def provenance_badge(example) -> None:  # type: ignore[no-untyped-def]
    if example.target_provenance in BADGES:
        label, colour = BADGES[example.target_provenance]
        st.badge(label, color=colour)
    else:
        st.badge("not reviewed yet", color="gray")


def main() -> None:
    require_user()
    st.title("Subquestion graphs")
    with open_stores() as s:
        cycles = sorted({p["cycle"] for p in s.records.phases() if p["phase"] == "amplify"})
        if not cycles:
            st.info("No amplified examples yet.")
            return
        cols = st.columns(4)
        cycle = cols[0].selectbox("Cycle", cycles, index=len(cycles) - 1, key="graph_cycle")
        examples = s.records.examples(cycle)
    source = cols[1].selectbox("Target provenance", list(FILTERS), key="graph_provenance")
    examples = [e for e in examples if FILTERS[source](e)]
    if not examples:
        st.info(f"No example of cycle {cycle} is {source}.")
        return
    difficulties = sorted({e.difficulty for e in examples})
    difficulty = cols[2].selectbox("Difficulty", difficulties, index=len(difficulties) - 1, key="graph_difficulty")
    shown = [e for e in examples if e.difficulty == difficulty]
    chosen = cols[3].selectbox("Question", range(len(shown)), key="graph_question",
                               format_func=lambda i: shown[i].graph["nodes"][0]["text"])
    example = shown[chosen]
    left, right = st.columns([2, 3])
    with left:
        st.subheader("Question", divider="gray")
        st.text(example.graph["nodes"][0]["text"])
        st.subheader("Amplified answer", divider="gray")
        st.code(example.answer if example.answer is not None else "(failed)", language=None)
        provenance_badge(example)
        st.caption(f"verdict: {example.verdict or 'none yet'}"
                   + (f" · training target: {example.target}" if example.target is not None else ""))
    with right:
        st.graphviz_chart(to_dot(example.graph))
    st.dataframe(node_rows(example.graph), hide_index=True, width="stretch")


main()
