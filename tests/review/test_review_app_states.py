"""Page states added for issue 13, through Streamlit's AppTest: validated edits with the error beside the field,
a verdict after the lease ran out (re-claimed, or refused with the text kept), undo, progress lines, a reload that
keeps the session, login lockout, admin disputes, and the workspace page (the human as H)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ida.accounts import Sessions
from ida.review.queue import ReviewQueue
from ida.store import Store
from review_world import HOSTILE, PASSWORDS, make_review_run, make_workspace_run

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "oversight_ui" / "app.py")


def login(name: str, password: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password or PASSWORDS[name])
    return at.button[0].click().run()


def texts(at: AppTest) -> str:
    return " ".join(str(x.value) for kind in (at.error, at.warning, at.info, at.caption, at.markdown) for x in kind)


def queue(run_dir, clock=time.time) -> ReviewQueue:
    return ReviewQueue(Store(run_dir / "ida.sqlite"), clock=clock)


def claimed(at: AppTest, run_dir, user="alice"):
    at.button(key="claim").click().run()
    return queue(run_dir).current(user)


def test_an_edit_must_be_an_answer_of_the_task(review_run):
    at = login("alice")
    assert "0 of 6 verdicts given in cycle 1: the run is waiting on you." in texts(at)
    lease = claimed(at, review_run)
    for bad in ("thirty one", "4e"):
        at.text_input(key=f"answer-{lease.id}").input(bad)
        at.button(key=f"edit-{lease.id}").click().run()
        assert "is not an item" in at.error[0].value and not at.exception
    assert queue(review_run).verdicts() == []
    assert "the task's decomposition program" in texts(at) and "H:program" not in texts(at)


def test_a_verdict_after_the_lease_ran_out_is_kept(review_run):
    at = login("alice")
    lease = claimed(at, review_run)
    queue(review_run, clock=lambda: time.time() + 3600).expire()  # the lease runs out while she types
    at.text_input(key=f"answer-{lease.id}").input("5")
    at.text_input(key=f"comment-{lease.id}").input("late but right")
    at.button(key=f"edit-{lease.id}").click().run()
    [v] = queue(review_run).verdicts(user="alice")
    assert (v["item_id"], v["target"], v["comment"]) == (lease.item_id, "5", "late but right")
    assert any(e["kind"] == "reclaim" for e in queue(review_run).store.events())


def test_a_verdict_on_an_item_someone_else_took_is_refused_and_the_text_kept(review_run):
    at = login("alice")
    lease = claimed(at, review_run)
    queue(review_run, clock=lambda: time.time() + 3600).expire()
    assert queue(review_run).claim("bob").item_id == lease.item_id  # bob takes the item meanwhile
    at.run()
    at.text_input(key=f"answer-{lease.id}").input("5")
    at.button(key=f"edit-{lease.id}").click().run()
    assert "bob holds this item now" in at.error[0].value
    assert at.text_input(key=f"answer-{lease.id}").value == "5"  # what she typed stays
    assert queue(review_run).verdicts(user="alice") == []


def test_undo_of_ones_own_last_verdict(review_run):
    at = login("alice")
    lease = claimed(at, review_run)
    at.button(key=f"reject-{lease.id}").click().run()
    assert len(queue(review_run).verdicts(user="alice")) == 1
    at.button(key="undo").click().run()
    assert queue(review_run).verdicts(user="alice") == []
    assert queue(review_run).current("alice").item_id == lease.item_id  # hers to judge again
    assert [e["payload"]["verdict"] for e in queue(review_run).store.events() if e["kind"] == "undo"] == ["reject"]


def test_no_session_rides_in_the_address_and_logout_revokes_it_in_the_store(review_run):
    old = AppTest.from_file(APP, default_timeout=90)
    old.query_params["session"] = "alice.9999999999.0123456789abcdef0123456789abcdef"  # an old-style token
    old.run()
    assert [t.value for t in old.title] == ["IDA oversight · log in"] and "session" not in old.query_params
    at = login("alice")
    assert [t.value for t in at.title] == ["Review queue"] and "session" not in at.query_params
    sid = at.session_state["ida_user"]["sid"]
    users = Store(review_run.parent / "users.sqlite")
    assert Sessions(users).check(sid).name == "alice"
    assert users.session_get(sid) is None  # the store keeps only the id's hash
    at.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["IDA oversight · log in"]
    assert Sessions(users).check(sid) is None  # revoked: a kept cookie opens nothing
    assert "logout" in [e["kind"] for e in queue(review_run).store.events()]


@pytest.mark.slow
def test_failed_logins_lock_the_account(review_run):
    for _ in range(5):
        assert "Wrong user name or password." in login("alice", "wrong-password").error[0].value
    locked = login("alice")  # even the right password, now
    assert "Too many failed logins" in locked.error[0].value
    assert [t.value for t in locked.title] == ["IDA oversight · log in"]
    kinds = [e["kind"] for e in queue(review_run).store.events()]
    assert kinds.count("login_failed") == 5 and "login_locked" in kinds


def test_admin_adjudicates_a_dispute_seeing_both_verdicts(tmp_path, monkeypatch):
    run_dir = make_review_run(tmp_path, n_items=2, overlap=1.0)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    q = queue(run_dir)
    a = q.claim("alice")
    q.submit(a.id, "alice", "accept", comment="looks fine")
    b = q.claim("bob")
    assert b.item_id == a.item_id
    q.submit(b.id, "bob", "edit", target="3", comment=HOSTILE)
    at = login("root")
    at.switch_page("views/admin.py").run()
    assert not at.exception, at.exception
    assert "1 disputes, 1 waiting for a decision" in texts(at)  # the admin page's summary
    at.switch_page("views/adjudicate.py").run()
    assert not at.exception, at.exception
    shown = " ".join(t.value for t in at.text)
    assert "alice · accept ·" in shown and "bob · edit ·" in shown and "edited answer: 3" in shown
    assert f"comment: {HOSTILE}" in shown and " UTC" in shown  # as text, with the time
    at.radio(key=f"decision-{a.item_id}").set_value("reject")
    record = lambda: next(b for b in at.button if b.label == "Record decision")  # noqa: E731
    record().click().run()
    assert "say why in the note" in " ".join(e.value for e in at.error)
    at.radio(key=f"decision-{a.item_id}").set_value("reject")
    at.text_input(key=f"note-{a.item_id}").input("both missed the wrong fact")
    record().click().run()
    [decision] = q.adjudications()
    assert (decision["user"], decision["verdict"], decision["note"]) == ("root", "reject", "both missed the wrong fact")
    assert "Decided by root" in " ".join(x.value for x in at.success)


@pytest.mark.slow  # loads a (tiny) model: about 20 s here
def test_workspace_page_claim_ask_refuse_and_answer(tmp_path, monkeypatch):
    run_dir = make_workspace_run(tmp_path)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    at = login("alice")
    at.switch_page("views/workspace.py").run()
    assert "0 of 1 questions decomposed in cycle 1: the run is waiting on you." in texts(at)
    at.button(key="ws_claim").click().run()
    store = Store(run_dir / "ida.sqlite")
    ws = store.workspace_current("alice", time.time())
    assert ws is not None and not at.exception, at.exception
    x = ws.text.split()[1]
    at.text_input(key=f"ws_sub-{ws.id}-0").input(f"perm {x} ^ 2")
    at.button(key=f"ws_ask-{ws.id}").click().run()
    assert not at.exception, at.exception
    step = store.workspace(ws.id).steps[0]
    assert at.table[0].value["its answer"].tolist() == [step.answer]
    at.text_input(key=f"ws_sub-{ws.id}-1").input("perm #3 ^ 2")  # a later answer: refused
    at.button(key=f"ws_ask-{ws.id}").click().run()
    assert "a later answer" in at.error[0].value and len(store.workspace(ws.id).steps) == 1
    at.text_input(key=f"ws_sub-{ws.id}-1").input(HOSTILE)
    at.button(key=f"ws_ask-{ws.id}").click().run()
    assert HOSTILE in at.table[0].value["you asked"].tolist()
    assert HOSTILE not in " ".join(m.value for m in at.markdown)
    at.text_input(key=f"ws_answer-{ws.id}").input("thirty one")
    at.button(key=f"ws_finish-{ws.id}").click().run()
    assert "is not an item" in at.error[0].value and store.workspace(ws.id).answer is None
    other = login("bob")
    other.switch_page("views/workspace.py").run()
    other.button(key="ws_claim").click().run()
    assert "No question waits" in texts(other)  # alice holds the only one
    at.text_input(key=f"ws_answer-{ws.id}").input("5")
    at.button(key=f"ws_finish-{ws.id}").click().run()
    assert store.workspace(ws.id).answer == "5" and store.workspace(ws.id).finished_by == "alice"


CYCLES_PROBE = """
import json, sys, time
import pytest
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=60)
import os
from ida.accounts import Sessions, User
from ida.store import Store
sid = Sessions(Store(os.environ["IDA_USERS_DB"])).open(User("root", "admin"), "test", "password")
at.session_state["ida_user"] = {"name": "root", "role": "admin", "method": "password", "sid": sid}
first = time.perf_counter()
at.run()
again = time.perf_counter()
at.run()  # the server's later visits: its imports are done once per process
end = time.perf_counter()
print(json.dumps([again - first, end - again, "torch" in sys.modules, [t.value for t in at.title],
                  bool(at.exception)]))
"""


def test_the_cycles_page_imports_no_model_stack(review_run):
    out = subprocess.run([sys.executable, "-c", CYCLES_PROBE, str(ROOT / "oversight_ui" / "views" / "cycles.py")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    first, again, torch, titles, failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert not torch and not failed and titles == ["Capability per cycle"], out.stdout + out.stderr
    assert again < 2.0, f"the cycles page took {again:.2f} s"
    print(f"cycles page: first {first:.2f} s, again {again:.2f} s")
