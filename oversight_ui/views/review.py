"""Review queue: claim the next item (an atomic lease), see the question, the evidence to check it, the
subquestion graph and every subanswer with who gave it, then accept, edit or reject it with a comment (keys A, E,
X). A verdict typed after the lease ran out claims the item again when nobody else holds it; an edit must be an
answer of the task; one's own last verdict can be undone while the cycle's review phase is open."""

from __future__ import annotations

import time

import streamlit as st

from ida.review.preview import target_preview
from ida.review.queue import Lease, LeaseError, ReviewQueue
from ida.review.view import ItemView, lease_view
from oversight_ui.blocks import heading, question_blocks
from oversight_ui.graph_dot import legend_html, node_rows, to_dot
from oversight_ui.labels import item, overseer
from oversight_ui.session import Stores, open_stores, require_user, run_config, task

SHORTCUTS = {"accept": "A", "edit": "E", "reject": "X"}
# While typing in the verdict form: Esc leaves the field (so A / E / X work again), Ctrl+Enter presses Edit. Our
# own fixed script, in a same-origin component frame. The frame is made anew for every item (its text names the
# lease), and a listener dies with the frame that added it: so each frame replaces the previous listener (a guard
# flag kept the dead one after "N" claimed the next item, and the keys stopped working), and scrolls the page to
# the top, so that a new item opens at its question.
KEYS_JS = """<script>
/* lease LEASE_ID */
const doc = window.parent.document;
if (doc.__idaKeys) doc.removeEventListener("keydown", doc.__idaKeys, true);
doc.__idaKeys = (e) => {
  const el = doc.activeElement;
  if (!el || el.tagName !== "INPUT") return;
  if (e.key === "Escape") { el.blur(); e.preventDefault(); return; }
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    const form = el.closest("[data-testid='stForm']");
    const edit = form && [...form.querySelectorAll("button")].find(b => b.innerText.trim().startsWith("Edit"));
    if (edit) { e.preventDefault(); e.stopPropagation(); el.blur(); setTimeout(() => edit.click(), 50); }
  }
};
doc.addEventListener("keydown", doc.__idaKeys, true);
if (doc.__idaLease !== "LEASE_ID") {
  doc.__idaLease = "LEASE_ID";
  for (const el of [doc.querySelector("[data-testid='stMain']"), doc.scrollingElement]) if (el) el.scrollTop = 0;
  window.parent.scrollTo(0, 0);
}
</script>"""
MAX_FACTS = 200  # facts listed at once in the search (a world can have thousands)
SHOWN = "ida_shown_lease"  # session state: the lease whose item the page shows (kept after it runs out)


@st.fragment(run_every=1.0)
def countdown(expires: float, window: float) -> None:
    left = max(0.0, expires - time.time())
    st.progress(left / window, text=f"Lease: {int(left) // 60}:{int(left) % 60:02d} left of {window / 60:g} min")
    if left <= 0:
        st.warning("The lease ran out. Your verdict still counts: giving it claims the item again, unless "
                   "another overseer has taken it meanwhile.")


def show_item(queue: ReviewQueue, lease: Lease, user: str) -> None:
    """The item on the left (question, subquestion, answer, verdict form), the evidence and then the graph
    with its subanswers on the right, so that at 1280x720 question, evidence, answer and buttons all show
    without scrolling; in a container keyed by the lease, so nothing of the previous item stays beside a new
    one."""
    row = queue.example(lease)
    view = lease_view(queue.store, task(), lease, show_truth=run_config().review.show_truth)
    if row is None or view is None:
        st.error("The example of this item is not in the store.")
        return
    graph = row.graph
    with st.container(key=f"item-{lease.id}"):
        left, right = st.columns(2, gap="large")
        with left:
            st.caption(f"cycle {lease.cycle} · difficulty {row.difficulty} · {item(lease.node)}")
            question_blocks(view)
            heading("Answer under review")
            st.caption(answer_caption(row.provenance, view))
            verdict_form(queue, lease, user, view.answer)
        with right:
            evidence(view, lease.id, in_context=task().form == "context")
            heading("Subquestion graph")
            st.html(legend_html())
            st.graphviz_chart(to_dot(graph, highlight=lease.node))
            heading("Subanswers")
            st.dataframe(node_rows(graph), hide_index=True, width="stretch")


def answer_caption(provenance: dict, view: ItemView) -> str:
    parts = [f"model {provenance.get('model_version', '?')}, split up by {overseer(provenance.get('overseer'))}"]
    if view.confidence is not None:
        parts.append(f"confidence {view.confidence:.2f}")
    if view.kind == "node" and view.used_by:
        parts.append(f"used by {len(view.used_by)} question(s), all fixed by one verdict")
    if view.truth is not None:  # review.show_truth: calibration studies only
        parts.append(f"true answer (the run opts in): {view.truth}")
    return " · ".join(parts)


def evidence(view: ItemView, lease_id: int, in_context: bool) -> None:
    """The facts the answer rests on, in full; every other fact of the world (the in-weights world, or the
    question's context) collapsed below, with a search."""
    heading("Evidence")
    used = set(view.evidence)
    others = [f for f in view.facts if f not in used]
    if view.evidence:
        st.code("\n".join(view.steps or view.evidence), language=None)
        if view.legend:
            st.caption(f"{len(view.steps)} steps · {view.legend}")
    else:
        st.caption("No facts to show for this item.")
    if view.guidelines:
        st.caption(f"How to judge: {view.guidelines}")
    if not others:
        return
    where = "in the question's context" if in_context else "of the world the model learnt"
    with st.expander(f"The other {len(others)} facts {where}: search"):
        needle = " ".join(st.text_input("Search the facts", key=f"search-{lease_id}",
                                        placeholder="e.g. a number or a name").split())
        hits = [f for f in others if needle in " ".join(f.split())] if needle else others
        st.caption(f"{len(hits)} of {len(others)} facts" + (f" · the first {MAX_FACTS} shown"
                                                            if len(hits) > MAX_FACTS else ""))
        if hits:
            st.code("\n".join(hits[:MAX_FACTS]), language=None)


def verdict_form(queue: ReviewQueue, lease: Lease, user: str, answer: str | None) -> None:
    # Enter must not submit: it would press the first button (Accept) right after typing an edit.
    with st.form(f"verdict-{lease.id}", enter_to_submit=False):
        answer_col, comment_col = st.columns([3, 2], gap="small")  # side by side: the buttons stay above the fold
        edited = answer_col.text_input("Answer (to edit: change it, then Edit)", value=answer or "",
                                       key=f"answer-{lease.id}")
        comment = comment_col.text_input("Comment (optional)", key=f"comment-{lease.id}")
        field_error = st.empty()  # a refused edit or verdict is said here, beside the field
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
    target = " ".join(edited.split()) if verdict == "edit" else None
    if verdict == "edit" and (error := task().validate_answer(target or "")):
        field_error.error(f"Not saved: {error}")
        return
    if needs_preview(queue, lease, verdict, target):
        return
    try:
        queue.submit(lease.id, user, verdict, target=target, comment=comment, validate=task().validate_answer,
                     reclaim=True)
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


def needs_preview(queue: ReviewQueue, lease: Lease, verdict: str, target: str | None) -> bool:
    """`review.propagate: preview`: the first Edit or Reject of a node shows the training targets it will create
    or change (recomputed by the task's program) and saves nothing; pressing it again unchanged saves it."""
    if lease.key is None or verdict == "accept" or run_config().review.propagate != "preview":
        return False
    key = f"ida_preview-{lease.id}"
    if st.session_state.get(key) == [verdict, target]:
        return False
    st.session_state[key] = [verdict, target]
    rows = target_preview(queue.store, task(), lease, target)
    changed = [r for r in rows if r.changed]
    with st.container(border=True, key=f"preview-{lease.id}"):
        st.warning(f"Not saved yet: this {verdict} changes {len(changed)} training answer"
                   f"{'' if len(changed) == 1 else 's'} (of {len(rows)} that use this subanswer). Check them, "
                   f"then press {verdict.capitalize()} again to save.")
        st.dataframe([{"question": r.question, "target now": r.now or "-",
                       "target after": r.then if r.then is not None else (r.note or "dropped")} for r in rows],
                     hide_index=True, width="stretch")
    return True


def only_nodes_why(s: Stores, queue: ReviewQueue, cycle: int) -> str:
    """review.unit both, and the cycle queued subquestions only: say why (no whole answer could be reviewed)."""
    if run_config().review.unit != "both" or any(i["key"] is None for i in queue.items(cycle=cycle)):
        return ""
    return (f" (only subquestions this cycle: none of cycle {cycle}'s whole answers is reviewable: each was H's own"
            " or failed, which is usual while the model is untrained; its subanswers are)")


def status(s: Stores, queue: ReviewQueue) -> str:
    """Where the run stands, in an overseer's words."""
    run = s.records.run_row()
    if run["status"] == "finished":
        return "The run finished: there is nothing more to review."
    cycles = sorted({i["cycle"] for i in queue.items()})
    if not cycles:
        return "No items yet: the run's first items are coming (this page refreshes itself)."
    cycle = cycles[-1]
    done, wanted = queue.progress(s.run_id, cycle)
    line = f"{done} of {wanted} verdicts given in cycle {cycle}" + only_nodes_why(s, queue, cycle)
    review_open = s.records.phase_result(cycle, "review") is None
    if done < wanted and review_open and run_config().review.wait:
        return line + ": the run is waiting on you."
    if done >= wanted:
        return line + ": next cycle's items are coming (this page refreshes itself)."
    return line + "."


@st.fragment(run_every=3.0)
def refresh_when_items_arrive(open_now: int) -> None:
    """While nothing is claimed: rerun the page when the queue changes (items arrive, the run finishes)."""
    with open_stores() as s:
        key = (s.queue().open_count(), s.records.run_row()["status"])
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
        with st.sidebar:  # beside the item, not above it: the item keeps the height of the window
            countdown(lease.expires, queue.lease_seconds)
        # our fixed script (never model text, only the lease id): it needs the page, so an iframe; in the sidebar,
        # in view (Chromium loads an iframe below the fold only when scrolled to, and the keys then waited) and
        # out of the item's height
        with st.sidebar:
            st.iframe(KEYS_JS.replace("LEASE_ID", str(int(lease.id))), height=1)
        show_item(queue, lease, user.name)


main()
