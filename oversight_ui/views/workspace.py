"""Decompose (the human as H): claim a question, ask the current model M_n subquestions one at a time (each may
use earlier answers as #1, #2, ...), see its answers as they come, then write the final answer. The workspace is
leased for `review.workspace_minutes`; a workspace whose lease runs out returns to the queue with its subquestions
(an answer submitted after that is kept on the page and said not saved). The model loads in the background as
soon as a workspace shows; the page refreshes itself while it waits for questions. The run's amplify phase waits
for these and trains on the answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import streamlit as st

from ida.review.workspace import InputError, Workspaces, model_answerer
from ida.store import Workspace, WorkspaceError
from ida.tasks import Question
from oversight_ui.labels import who
from oversight_ui.session import open_stores, require_user, run_config, run_dir, task


SHOWN = "ida_ws_shown"  # session state: the workspace the page showed (kept when its lease runs out)
KEPT = "ida_ws_kept"  # session state: {workspace id: the final answer typed} when it could not be saved
_LOADING: dict[tuple[str, int, str], Future] = {}  # the model per (run, cycle, version), loading or loaded
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ida-model")
_LOCK = threading.Lock()


def warm(path: str, cycle: int, version: str) -> Future:
    """Start loading the model as soon as a workspace shows (the overseer reads and types meanwhile), once per
    app process; imports the model stack: only this page pays for it."""
    key = (path, cycle, version)
    with _LOCK:
        if key not in _LOADING:
            _LOADING[key] = _POOL.submit(model_answerer, Path(path), cycle, version)
        return _LOADING[key]


def _answerer(path: str, cycle: int, version: str) -> Callable[[str], str]:
    future = warm(path, cycle, version)
    if not future.done():
        with st.spinner("Loading the model ..."):
            return future.result()
    return future.result()


@st.fragment(run_every=1.0)
def countdown(expires: float, window: float) -> None:
    left = max(0.0, expires - time.time())
    st.progress(left / window, text=f"Lease: {int(left) // 60}:{int(left) % 60:02d} left of {window / 60:g} min")
    if left <= 0:
        st.warning("The lease ran out: the question went back to the queue with your subquestions. Claim it again.")


def show(desk: Workspaces, ws: Workspace, user: str, errors) -> None:  # type: ignore[no-untyped-def]
    st.caption(f"cycle {ws.cycle} · difficulty {ws.difficulty} · the model answering: {who(ws.model_version)}")
    st.markdown("##### Question")
    st.code(ws.text, language=None)
    facts = task().evidence(Question(ws.question_id, ws.text, ws.difficulty, run_config().task.name,
                                     tuple(ws.prompt.split(" | ", 1)[0].split(" ; ")) if " | " in ws.prompt else ()))
    if facts:
        with st.expander(f"{len(facts)} facts", expanded=len(facts) <= 6):
            st.code("\n".join(facts), language=None)
    st.markdown("##### Subquestions and the model's answers")
    if ws.steps:
        # a plain table (text in the page, escaped): short, and readable by screen readers and tests alike
        st.table([{"#": s.position, "you asked": s.text, "the model was asked": s.asked, "its answer": s.answer}
                  for s in ws.steps])
    else:
        st.caption("None yet. Ask the model something smaller than the question; refer to an earlier answer as #1.")
    with st.form(f"ask-{ws.id}", clear_on_submit=False, enter_to_submit=True):
        text = st.text_input(f"Subquestion #{len(ws.steps) + 1}", key=f"ws_sub-{ws.id}-{len(ws.steps)}",
                             max_chars=desk.limits.max_chars * 4)
        ask_error = st.empty()
        asked = st.form_submit_button("Ask the model", key=f"ws_ask-{ws.id}")
    if asked:
        try:
            desk.ask(ws.id, user, text, _answerer(str(run_dir()), ws.cycle, ws.model_version), task=task())
        except (InputError, WorkspaceError) as err:
            ask_error.error(f"Not asked: {err}")
        else:
            st.rerun()
    with st.form(f"final-{ws.id}", enter_to_submit=False):
        answer = st.text_input("Final answer to the question", key=f"ws_answer-{ws.id}",
                               value=st.session_state.get(KEPT, {}).get(ws.id, ""))
        final_error = st.empty()
        done = st.form_submit_button("Submit the final answer", type="primary", key=f"ws_finish-{ws.id}")
    if done:
        try:
            desk.finish(ws.id, user, answer, task=task())
        except InputError as err:
            final_error.error(f"Not saved: {err}")
        except WorkspaceError:
            keep(ws.id, answer)
            st.rerun()
        else:
            st.session_state.get(KEPT, {}).pop(ws.id, None)
            st.session_state["ida_ws_done"] = ws.text
            st.rerun()
    if st.button("Release: give the question back (your subquestions stay)", key=f"ws_release-{ws.id}",
                 type="tertiary"):
        try:
            desk.release(ws.id, user)
        except WorkspaceError as err:
            errors.error(str(err))
        st.session_state.pop(SHOWN, None)
        st.rerun()


def keep(workspace_id: int, answer: str) -> None:
    """The final answer typed when the lease had run out: kept for the page to show (and prefill) with why."""
    st.session_state.setdefault(KEPT, {})[workspace_id] = answer


def lost_lease(desk: Workspaces, errors) -> None:  # type: ignore[no-untyped-def]
    """The page showed a workspace whose lease ran out: say so, and keep what was typed (never drop it)."""
    shown = st.session_state.get(SHOWN)
    old = desk.get(shown) if shown is not None else None
    if old is None or old.finished:
        st.session_state.pop(SHOWN, None)
        return
    typed = st.session_state.get(KEPT, {}).get(old.id) or st.session_state.get(f"ws_answer-{old.id}") or ""
    if typed:
        keep(old.id, typed)
    errors.warning("Not saved: the lease on this question ran out before your final answer was submitted; it "
                   "went back to the queue with your subquestions." + (" Your answer is kept below: claim the "
                   "question again to submit it." if typed else ""))
    if typed:
        errors.code(f"{old.text}\nyour answer: {typed}", language=None)


@st.fragment(run_every=3.0)
def refresh_when_questions_arrive() -> None:
    """While nothing is claimed: rerun the page when questions arrive or get decomposed."""
    with open_stores() as s:
        key = [(w.id, w.finished, w.holder) for w in s.records.workspaces()]
    if st.session_state.setdefault("ida_ws_seen", key) != key:
        st.session_state["ida_ws_seen"] = key
        st.rerun(scope="app")


def main() -> None:
    user = require_user()
    st.title("Decompose a question")
    errors = st.container()
    if st.session_state.pop("ida_ws_done", None):
        st.toast("Saved your answer; the run will train on it.")
    with open_stores() as s:
        desk = s.workspaces()
        ws = desk.current(user.name)
        if ws is None:
            lost_lease(desk, errors)
            cycles = sorted({w.cycle for w in s.records.workspaces()})
            if cycles:
                finished, total = s.records.workspace_progress(cycles[-1])
                st.caption(f"{finished} of {total} questions decomposed in cycle {cycles[-1]}"
                           + (": the run is waiting on you." if finished < total else "."))
            else:
                st.caption("No question waits for decomposition (the run's amplify.decomposer is not human, or "
                           "its questions are coming).")
            if st.button("Claim a question", type="primary", key="ws_claim"):
                if desk.claim(user.name) is None:
                    errors.info("No question waits for decomposition right now.")
                else:
                    st.rerun()
            refresh_when_questions_arrive()
            return
        st.session_state[SHOWN] = ws.id
        warm(str(run_dir()), ws.cycle, ws.model_version)
        countdown(ws.expires or 0.0, desk.seconds)
        show(desk, ws, user.name, errors)


main()
