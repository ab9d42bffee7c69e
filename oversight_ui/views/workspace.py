"""Decompose (the human as H): claim a question, ask the current model M_n subquestions one at a time (each may
use earlier answers as #1, #2, ...), see its answers as they come, then write the final answer. The workspace is
leased for `review.workspace_minutes`; a workspace whose lease runs out returns to the queue with its subquestions.
The run's amplify phase waits for these and trains on the answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from ida.review.workspace import InputError, Workspaces, model_answerer
from ida.store import Workspace, WorkspaceError
from ida.tasks import Question
from oversight_ui.labels import who
from oversight_ui.session import open_stores, require_user, run_config, run_dir, task


@st.cache_resource(show_spinner="Loading the model ...")
def _answerer(path: str, cycle: int, version: str) -> Callable[[str], str]:
    return model_answerer(Path(path), cycle, version)  # imports the model stack: only this page pays for it


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
            desk.ask(ws.id, user, text, _answerer(str(run_dir()), ws.cycle, ws.model_version))
        except (InputError, WorkspaceError) as err:
            ask_error.error(f"Not asked: {err}")
        else:
            st.rerun()
    with st.form(f"final-{ws.id}", enter_to_submit=False):
        answer = st.text_input("Final answer to the question", key=f"ws_answer-{ws.id}")
        final_error = st.empty()
        done = st.form_submit_button("Submit the final answer", type="primary", key=f"ws_finish-{ws.id}")
    if done:
        try:
            desk.finish(ws.id, user, answer, task=task())
        except (InputError, WorkspaceError) as err:
            final_error.error(f"Not saved: {err}")
        else:
            st.session_state["ida_ws_done"] = ws.text
            st.rerun()
    if st.button("Release: give the question back (your subquestions stay)", key=f"ws_release-{ws.id}",
                 type="tertiary"):
        try:
            desk.release(ws.id, user)
        except WorkspaceError as err:
            errors.error(str(err))
        st.rerun()


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
            cycles = sorted({w.cycle for w in s.run.workspaces(s.run_id)})
            if cycles:
                finished, total = s.run.workspace_progress(s.run_id, cycles[-1])
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
            return
        countdown(ws.expires or 0.0, desk.seconds)
        show(desk, ws, user.name, errors)


main()
