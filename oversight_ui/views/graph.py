"""Graphs: browse any amplified example of the run, its subquestion graph and subanswers."""

from __future__ import annotations

import streamlit as st

from oversight_ui.graph_dot import node_rows, to_dot
from oversight_ui.session import open_stores, require_user


def main() -> None:
    require_user()
    st.title("Subquestion graphs")
    with open_stores() as s:
        cycles = sorted({p["cycle"] for p in s.run.phases(s.run_id) if p["phase"] == "amplify"})
        if not cycles:
            st.info("No amplified examples yet.")
            return
        cols = st.columns(3)
        cycle = cols[0].selectbox("Cycle", cycles, index=len(cycles) - 1, key="graph_cycle")
        examples = s.run.examples(s.run_id, cycle)
    difficulties = sorted({e.difficulty for e in examples})
    difficulty = cols[1].selectbox("Difficulty", difficulties, index=len(difficulties) - 1, key="graph_difficulty")
    shown = [e for e in examples if e.difficulty == difficulty]
    chosen = cols[2].selectbox("Question", range(len(shown)), key="graph_question",
                               format_func=lambda i: shown[i].graph["nodes"][0]["text"])
    example = shown[chosen]
    left, right = st.columns([2, 3])
    with left:
        st.subheader("Question", divider="gray")
        st.text(example.graph["nodes"][0]["text"])
        st.subheader("Amplified answer", divider="gray")
        st.code(example.answer if example.answer is not None else "(failed)", language=None)
        st.caption(f"verdict: {example.verdict or 'none yet'}")
    with right:
        st.graphviz_chart(to_dot(example.graph))
    st.dataframe(node_rows(example.graph), hide_index=True, width="stretch")


main()
