"""Adjudicate (admins): the disputed items (two overseers' verdicts that disagree), oldest undecided first. Each
shows the question, the answer under review, the evidence, and both verdicts with names, times, edits and
comments; the admin decides accept / edit / reject with a note, which is stored (`adjudications`) and logged.
Under `review.disputes: hold` an undecided dispute trains on nothing."""

from __future__ import annotations

import streamlit as st

from decomposition.graph import ROOT
from ida.review.disputes import Dispute, disputes
from ida.review.queue import LeaseError, ReviewQueue
from ida.review.view import item_view
from oversight_ui.blocks import heading, question_blocks
from oversight_ui.labels import item
from oversight_ui.session import open_stores, require_admin, run_config, task, utc


def show_dispute(queue: ReviewQueue, d: Dispute, admin: str) -> None:
    first = d.first
    row = queue.store.example(first["run_id"], first["cycle"], first["question_id"])
    with st.container(border=True, key=f"dispute-{d.item_id}"):
        st.caption(f"item {d.item_id} · cycle {first['cycle']} · {item(first['node'])}")
        if row is None:
            st.error("The example of this item is not in the store.")
            return
        rows = queue.store.examples(first["run_id"], first["cycle"]) if first["node"] != ROOT else None
        view = item_view(task(), row, first["node"], show_truth=run_config().review.show_truth, rows=rows)
        left, right = st.columns(2, gap="large")
        with left:
            question_blocks(view)
            heading("Answer under review")
            st.code(view.answer or "(no answer)", language=None)
        with right:
            heading("Evidence")
            st.code("\n".join(view.steps or view.evidence) or "(the task gives no evidence for this item)",
                    language=None)
            if view.legend:
                st.caption(view.legend)
        heading("Verdicts")
        for col, v in zip(st.columns(len(d.verdicts)), d.verdicts):
            with col.container(border=True):
                st.text(f"{v['user']} · {v['verdict']} · {utc(v['ts'])} UTC")
                if v["target"] is not None:
                    st.text(f"edited answer: {v['target']}")
                st.text(f"comment: {v['comment'] or '-'}")
        if d.decision is not None:
            dec = d.decision
            st.success(f"Decided by {dec['user']} at {utc(dec['ts'])} UTC: {dec['verdict']}"
                       + (f" ({dec['target']})" if dec["target"] else "") + f". Note: {dec['note']}")
            return
        decide_form(queue, d, admin, view.answer)


def decide_form(queue: ReviewQueue, d: Dispute, admin: str, answer: str | None) -> None:
    with st.form(f"decide-{d.item_id}"):
        verdict = st.radio("Decision", ["accept", "edit", "reject"], horizontal=True, key=f"decision-{d.item_id}")
        target = st.text_input("Answer (for edit)", value=answer or "", key=f"target-{d.item_id}")
        note = st.text_input("Note (why; kept with the decision)", key=f"note-{d.item_id}")
        if st.form_submit_button("Record decision", type="primary"):
            try:
                queue.adjudicate(d.item_id, admin, verdict, target=target if verdict == "edit" else None,
                                 note=note, validate=task().validate_answer)
            except (ValueError, LeaseError) as err:
                st.error(str(err))
                return
            st.rerun()


def main() -> None:
    admin = require_admin()
    st.title("Adjudicate")
    rule = run_config().review.disputes
    with open_stores() as s:
        queue = s.queue()
        found = disputes(queue.verdicts(), queue.adjudications())
        open_first = sorted(found, key=lambda d: d.decision is not None)
        st.caption(f"review.disputes: {rule} · {len(found)} dispute{'' if len(found) == 1 else 's'}, "
                   f"{sum(d.decision is None for d in found)} waiting for a decision"
                   + (" (each trains on nothing until decided)" if rule == "hold" else ""))
        if not found:
            st.info("No dispute: every item judged twice got the same verdict.")
        for d in open_first:
            show_dispute(queue, d, admin.name)


main()
