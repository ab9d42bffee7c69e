"""The blocks an item is shown in, shared by the review and Adjudicate pages: the same headings and the same
question / subquestion blocks, so an admin deciding a dispute reads the item as the overseers did."""

from __future__ import annotations

import streamlit as st

from ida.review.view import ItemView


def heading(text: str) -> None:
    st.markdown(f"##### {text}")  # our own fixed labels only; model text never goes through markdown


def question_blocks(view: ItemView) -> None:
    """The question, then the subquestion under review when the item is a node."""
    heading("Question")
    st.code(view.question, language=None)
    if view.subquestion is not None:
        heading("Subquestion under review")
        st.code(view.subquestion, language=None)
