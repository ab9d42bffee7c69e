"""Review queue: claim the next item (an atomic lease), see the question, its facts, the subquestion graph and
every subanswer with who gave it, then accept, edit or reject it with a comment (keys A, E, X)."""

from __future__ import annotations

import time

import streamlit as st

from ida.review.queue import WHOLE_EXAMPLE, Lease, LeaseError, ReviewQueue
from oversight_ui.graph_dot import node_rows, to_dot
from oversight_ui.session import open_stores, require_user

SHORTCUTS = {"accept": "A", "edit": "E", "reject": "X"}


@st.fragment(run_every=1.0)
def countdown(expires: float, window: float) -> None:
    left = max(0.0, expires - time.time())
    st.progress(left / window, text=f"Lease: {int(left) // 60}:{int(left) % 60:02d} left of {window / 60:g} min")
    if left <= 0:
        st.warning("The lease ran out: the item went back to the queue. Claim again.")


def facts_of(prompt: str) -> list[str]:
    """In-context questions carry their facts before ` | ` in the prompt."""
    return prompt.split(" | ", 1)[0].split(" ; ") if " | " in prompt else []


def heading(text: str) -> None:
    st.markdown(f"##### {text}")  # our own fixed labels only; model text never goes through markdown


def show_item(queue: ReviewQueue, lease: Lease, user: str) -> None:
    """The item on the left (question, facts, answer, verdict form), its graph and subanswers on the right."""
    example = queue.example(lease)
    if example is None:
        st.error("The example of this item is not in the store.")
        return
    graph = example.graph
    node = next(n for n in graph["nodes"] if n["id"] == lease.node)
    answer = example.answer if lease.node == WHOLE_EXAMPLE else node["answer"]
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.caption(f"cycle {lease.cycle} · difficulty {example.difficulty} · "
                   + ("whole example" if lease.node == WHOLE_EXAMPLE else f"node {lease.node}"))
        heading("Question")
        st.code(graph["nodes"][0]["text"], language=None)
        if lease.node != WHOLE_EXAMPLE:
            heading("Subquestion under review")
            st.code(node["text"], language=None)
        heading("Facts")
        facts = facts_of(example.prompt)
        if facts:
            st.code("\n".join(facts), language=None)
        else:
            st.caption("In the weights: this task keeps one fixed world in the model. H's own lookups are the "
                       "nodes answered by H.")
        heading("Answer under review")
        st.text(f"from model {example.provenance.get('model_version', '?')}, recomposed by "
                f"{example.provenance.get('overseer', '?')}")
        verdict_form(queue, lease, user, answer)
    with right:
        heading("Subquestion graph")
        st.caption("blue: answered by the model · green: answered by H itself · red: failed · grey: pending · "
                   "orange border: under review")
        st.graphviz_chart(to_dot(graph, highlight=lease.node))
        heading("Subanswers")
        st.dataframe(node_rows(graph), hide_index=True, width="stretch")


def verdict_form(queue: ReviewQueue, lease: Lease, user: str, answer: str | None) -> None:
    # Enter must not submit: it would press the first button (Accept) right after typing an edit.
    with st.form(f"verdict-{lease.id}", enter_to_submit=False):
        edited = st.text_input("Answer (to edit: change it, then Edit)", value=answer or "", key=f"answer-{lease.id}")
        comment = st.text_input("Comment (optional)", key=f"comment-{lease.id}")
        cols = st.columns(3, gap="small")
        pressed = [v for v, col in zip(SHORTCUTS, cols)
                   if col.form_submit_button(v.capitalize(), shortcut=SHORTCUTS[v],
                                             type="primary" if v == "accept" else "secondary", key=f"{v}-{lease.id}",
                                             width="stretch")]
    if st.button("Release: give the item back unjudged", key=f"release-{lease.id}", type="tertiary"):
        try:
            queue.release(lease.id, user)
        except LeaseError:
            pass
        st.rerun()
    if not pressed:
        return
    verdict = pressed[0]
    if verdict == "edit" and " ".join(edited.split()) == " ".join((answer or "").split()):
        st.error("Change the answer before Edit, or Accept it as it is.")
        return
    try:
        queue.submit(lease.id, user, verdict, target=edited if verdict == "edit" else None, comment=comment)
    except LeaseError:
        st.error("Your lease ran out: the item went back to the queue. Claim again.")
        return
    except ValueError as err:
        st.error(str(err))
        return
    st.session_state["ida_last_verdict"] = verdict
    if st.session_state.get("ida_auto_claim", True):
        queue.claim(user)
    st.rerun()


def main() -> None:
    user = require_user()
    st.title("Review queue")
    with open_stores() as s:
        queue = s.queue()
        lease = queue.current(user.name)
        st.caption(f"{queue.open_count()} verdicts still wanted in this run's queue")
        last = st.session_state.pop("ida_last_verdict", None)
        if last:
            st.toast(f"Saved: {last}")
        st.sidebar.toggle("Claim the next item after each verdict", value=True, key="ida_auto_claim")
        if lease is None:
            if st.button("Claim next item", shortcut="N", type="primary", key="claim"):
                if queue.claim(user.name) is None:
                    st.info("The queue is empty: nothing to review right now.")
                else:
                    st.rerun()
            return
        countdown(lease.expires, queue.lease_seconds)
        show_item(queue, lease, user.name)


main()
