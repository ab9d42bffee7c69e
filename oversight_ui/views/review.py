"""Review queue: claim the next item (an atomic lease), see the question, the evidence to check it, the
subquestion graph and every subanswer with who gave it, then accept, edit or reject it with a comment (keys A, E,
X). A verdict typed after the lease ran out claims the item again when nobody else holds it; an edit must be an
answer of the task; one's own last verdict can be undone while the cycle's review phase is open."""

from __future__ import annotations

import time

import streamlit as st

from ida.review.queue import WHOLE_EXAMPLE, Lease, LeaseError, ReviewQueue
from ida.review.view import lease_view
from ida.tasks import Question
from oversight_ui.graph_dot import legend_html, node_rows, to_dot
from oversight_ui.labels import item, overseer
from oversight_ui.session import Stores, open_stores, require_user, run_config, task

SHORTCUTS = {"accept": "A", "edit": "E", "reject": "X"}
# While typing in the verdict form: Esc leaves the field (so A / E / X work again), Ctrl+Enter presses Edit.
# Our own fixed script, in a same-origin component frame, listening on the page once.
KEYS_JS = """<script>
const doc = window.parent.document;
if (!doc.__idaKeys) {
  doc.__idaKeys = true;
  doc.addEventListener("keydown", (e) => {
    const el = doc.activeElement;
    if (!el || el.tagName !== "INPUT") return;
    if (e.key === "Escape") { el.blur(); e.preventDefault(); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      const form = el.closest("[data-testid='stForm']");
      const edit = form && [...form.querySelectorAll("button")].find(b => b.innerText.trim().startsWith("Edit"));
      if (edit) { e.preventDefault(); e.stopPropagation(); el.blur(); setTimeout(() => edit.click(), 50); }
    }
  }, true);
}
</script>"""
SHOWN = "ida_shown_lease"  # session state: the lease whose item the page shows (kept after it runs out)


@st.fragment(run_every=1.0)
def countdown(expires: float, window: float) -> None:
    left = max(0.0, expires - time.time())
    st.progress(left / window, text=f"Lease: {int(left) // 60}:{int(left) % 60:02d} left of {window / 60:g} min")
    if left <= 0:
        st.warning("The lease ran out. Your verdict still counts: giving it claims the item again, unless "
                   "another overseer has taken it meanwhile.")


def facts_of(prompt: str) -> list[str]:
    """In-context questions carry their facts before ` | ` in the prompt."""
    return prompt.split(" | ", 1)[0].split(" ; ") if " | " in prompt else []


def heading(text: str) -> None:
    st.markdown(f"##### {text}")  # our own fixed labels only; model text never goes through markdown


def show_item(queue: ReviewQueue, lease: Lease, user: str) -> None:
    """The item on the left (question, evidence, answer, verdict form), its graph and subanswers on the right;
    in a container keyed by the lease, so nothing of the previous item stays beside a new one."""
    example = queue.example(lease)
    if example is None:
        st.error("The example of this item is not in the store.")
        return
    graph = example.graph
    node = next(n for n in graph["nodes"] if n["id"] == lease.node)
    answer = example.answer if lease.node == WHOLE_EXAMPLE else node["answer"]
    question = Question(example.question_id, graph["nodes"][0]["text"], example.difficulty, run_config().task.name,
                        tuple(facts_of(example.prompt)))
    with st.container(key=f"item-{lease.id}"):
        left, right = st.columns([2, 3], gap="large")
        with left:
            st.caption(f"cycle {lease.cycle} · difficulty {example.difficulty} · {item(lease.node)}")
            heading("Question")
            st.code(question.text, language=None)
            if lease.node != WHOLE_EXAMPLE:
                heading("Subquestion under review")
                st.code(node["text"], language=None)
            heading("Answer under review")
            st.caption(f"from model {example.provenance.get('model_version', '?')}, decomposed by "
                       f"{overseer(example.provenance.get('overseer'))}"
                       + (f" · model's confidence {node['confidence']:.2f}" if node.get("confidence") is not None
                          else ""))
            view = lease_view(queue.store, task(), lease, show_truth=run_config().review.show_truth)
            if view is not None and view.kind == "node" and view.used_by:
                st.caption(f"this subanswer is used by {len(view.used_by)} question(s); a verdict fixes them all")
            if view is not None and view.truth is not None:  # review.show_truth: calibration studies only
                st.caption(f"true answer (shown because the run opts in): {view.truth}")
            verdict_form(queue, lease, user, answer)
            heading("Evidence")
            evidence = view.evidence if view is not None else task().evidence(question)
            if evidence:
                with st.expander(f"{len(evidence)} facts", expanded=len(evidence) <= 6):
                    st.code("\n".join(evidence), language=None)
            else:
                st.caption("In the weights: this task keeps one fixed world in the model. H's own lookups are the "
                           "nodes answered by H itself.")
        with right:
            heading("Subquestion graph")
            st.html(legend_html())
            st.graphviz_chart(to_dot(graph, highlight=lease.node))
            heading("Subanswers")
            st.dataframe(node_rows(graph), hide_index=True, width="stretch")


def verdict_form(queue: ReviewQueue, lease: Lease, user: str, answer: str | None) -> None:
    # Enter must not submit: it would press the first button (Accept) right after typing an edit.
    with st.form(f"verdict-{lease.id}", enter_to_submit=False):
        edited = st.text_input("Answer (to edit: change it, then Edit)", value=answer or "", key=f"answer-{lease.id}")
        field_error = st.empty()  # a refused edit or verdict is said here, beside the field
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
        st.session_state.pop(SHOWN, None)
        st.rerun()
    if not pressed:
        return
    verdict = pressed[0]
    if verdict == "edit" and " ".join(edited.split()) == " ".join((answer or "").split()):
        field_error.error("Change the answer before Edit, or Accept it as it is.")
        return
    try:
        queue.submit(lease.id, user, verdict, target=edited if verdict == "edit" else None, comment=comment,
                     validate=task().validate_answer, reclaim=True)
    except LeaseError as err:
        field_error.error(f"Not saved: {err}. Your text is kept here; Release to move on.")
        return
    except ValueError as err:
        field_error.error(f"Not saved: {err}")
        return
    st.session_state["ida_last_verdict"] = verdict
    st.session_state.pop(SHOWN, None)
    if st.session_state.get("ida_auto_claim", True) and (nxt := queue.claim(user)) is not None:
        st.session_state[SHOWN] = nxt.id
    st.rerun()


def status(s: Stores, queue: ReviewQueue) -> str:
    """Where the run stands, in an overseer's words."""
    run = s.run.run(s.run_id)
    if run["status"] == "finished":
        return "The run finished: there is nothing more to review."
    cycles = sorted({i["cycle"] for i in queue.items()})
    if not cycles:
        return "No items yet: the run's first items are coming (this page refreshes itself)."
    cycle = cycles[-1]
    done, wanted = queue.progress(s.run_id, cycle)
    line = f"{done} of {wanted} verdicts given in cycle {cycle}"
    review_open = s.run.phase_result(s.run_id, cycle, "review") is None
    if done < wanted and review_open and run_config().review.wait:
        return line + ": the run is waiting on you."
    if done >= wanted:
        return line + ": next cycle's items are coming (this page refreshes itself)."
    return line + "."


@st.fragment(run_every=3.0)
def refresh_when_items_arrive(open_now: int) -> None:
    """While nothing is claimed: rerun the page when the queue changes (items arrive, the run finishes)."""
    with open_stores() as s:
        key = (s.queue().open_count(), s.run.run(s.run_id)["status"])
    if st.session_state.setdefault("ida_queue_seen", key) != key:
        st.session_state["ida_queue_seen"] = key
        st.rerun(scope="app")


def undo_button(queue: ReviewQueue, user: str, run_id: str) -> None:
    if not queue.verdicts(user=user):
        return
    if st.sidebar.button("Undo my last verdict", key="undo", icon=":material/undo:"):
        try:
            lease = queue.undo(user, run_id)
        except LeaseError as err:
            st.session_state["ida_error"] = f"Cannot undo: {err}."
        else:
            st.session_state[SHOWN] = lease.id
            st.session_state["ida_last_verdict"] = "undone"
        st.rerun()


def shown_lease(queue: ReviewQueue, user: str) -> Lease | None:
    """The user's live lease, else the one the page showed if it ran out with the item still wanting their
    verdict (the page keeps it, with the typed text, until they give it or release it)."""
    live = queue.current(user)
    if live is not None:
        st.session_state[SHOWN] = live.id
        return live
    old = queue.lease(st.session_state.get(SHOWN, -1))
    if old is None or old.user != user or any(v["item_id"] == old.item_id for v in queue.verdicts(user=user)):
        st.session_state.pop(SHOWN, None)
        return None
    return old


def main() -> None:
    user = require_user()
    st.title("Review queue")
    errors = st.container()  # errors go first: visible without scrolling
    if message := st.session_state.pop("ida_error", None):
        errors.error(message)
    with open_stores() as s:
        queue = s.queue()
        st.caption(status(s, queue))
        last = st.session_state.pop("ida_last_verdict", None)
        if last:
            st.toast(f"Saved: {last}" if last != "undone" else "Your last verdict was taken back: judge it again.")
        st.sidebar.toggle("Claim the next item after each verdict", value=True, key="ida_auto_claim")
        undo_button(queue, user.name, s.run_id)
        lease = shown_lease(queue, user.name)
        if lease is None:
            if st.button("Claim next item", shortcut="N", type="primary", key="claim"):
                claimed = queue.claim(user.name)
                if claimed is None:
                    errors.info("The queue is empty: nothing to review right now.")
                else:
                    st.session_state[SHOWN] = claimed.id
                    st.rerun()
            refresh_when_items_arrive(queue.open_count())
            return
        countdown(lease.expires, queue.lease_seconds)
        show_item(queue, lease, user.name)
        import streamlit.components.v1 as components

        components.html(KEYS_JS, height=0)


main()
