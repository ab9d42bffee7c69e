"""The oversight app's logic through Streamlit's AppTest: login, claim, verdict, roles, OIDC mapping, and that
model text is rendered as text."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ida.review.queue import ReviewQueue
from ida.store import Store
from review_world import HOSTILE, PASSWORDS, logged_in

APP = str(Path(__file__).resolve().parents[2] / "oversight_ui" / "app.py")
ADMIN_PAGE = str(Path(__file__).resolve().parents[2] / "oversight_ui" / "views" / "admin.py")


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def login(at: AppTest, name: str, password: str) -> AppTest:
    at.run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def events(run_dir, kind):
    store = Store(run_dir / "ida.sqlite")
    try:
        return [e for e in store.events() if e["kind"] == kind]
    finally:
        store.close()


def test_nobody_gets_a_page_without_logging_in(review_run):
    at = app().run()
    assert titles(at) == ["IDA oversight · log in"] and not at.exception
    login(at, "alice", "wrong-password")
    assert titles(at) == ["IDA oversight · log in"] and "Wrong user name or password." in at.error[0].value
    login(at, "mallory", "whatever-pass")
    assert titles(at) == ["IDA oversight · log in"]
    failed = events(review_run, "login_failed")
    assert [(e["actor"], e["payload"]["reason"]) for e in failed] == [("alice", "wrong password"),
                                                                       ("mallory", "unknown user")]


def test_overseer_claims_and_edits_an_item(review_run):
    at = login(app(), "alice", PASSWORDS["alice"])
    assert titles(at) == ["Review queue"], at.exception
    at.button(key="claim").click().run()
    assert not at.exception, at.exception
    store = Store(review_run / "ida.sqlite")
    lease = ReviewQueue(store).current("alice")
    assert lease is not None
    assert any("perm 0 ^ 2" == c.value for c in at.code)  # the question, as text
    at.text_input(key=f"answer-{lease.id}").input("  5 ")
    at.text_input(key=f"comment-{lease.id}").input("the second step is wrong")
    at.button(key=f"edit-{lease.id}").click().run()
    assert not at.exception, at.exception
    [verdict] = ReviewQueue(store).verdicts(user="alice")
    assert (verdict["verdict"], verdict["target"], verdict["comment"]) == ("edit", "5", "the second step is wrong")
    assert verdict["question_id"] == lease.question_id and verdict["seconds"] >= 0
    # Auto-claim: the next item is already leased, and it is another one.
    nxt = ReviewQueue(store).current("alice")
    assert nxt is not None and nxt.item_id != lease.item_id
    at.button(key=f"reject-{nxt.id}").click().run()
    assert [v["verdict"] for v in ReviewQueue(store).verdicts(user="alice")] == ["edit", "reject"]
    assert [e["actor"] for e in events(review_run, "login")] == ["alice"]
    store.close()


def test_edit_without_a_change_is_refused(review_run):
    at = login(app(), "alice", PASSWORDS["alice"])
    at.button(key="claim").click().run()
    store = Store(review_run / "ida.sqlite")
    lease = ReviewQueue(store).current("alice")
    at.button(key=f"edit-{lease.id}").click().run()
    assert "Change the answer before Edit" in at.error[0].value
    assert ReviewQueue(store).verdicts() == []
    store.close()


def test_overseer_cannot_open_admin_pages_and_admin_can(review_run):
    at = login(app(), "alice", PASSWORDS["alice"])
    with pytest.raises(ValueError):
        at.switch_page("views/admin.py")
    # Run directly, the admin page refuses an overseer's session too.
    page = AppTest.from_file(ADMIN_PAGE, default_timeout=60)
    page.session_state["ida_user"] = logged_in("alice", "overseer")
    page.run()
    assert "This page is for admins." in page.error[0].value and not page.dataframe
    admin = login(app(), "root", PASSWORDS["root"])
    admin.switch_page("views/admin.py").run()
    assert titles(admin) == ["Reviewers & audit log"] and not admin.exception, admin.exception
    assert len(admin.dataframe) >= 3  # statistics, accounts, audit log


def test_oidc_maps_the_email_to_the_role_in_the_store(review_run):
    at = app()
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1/oauth2callback", "cookie_secret": "x"}
    at.user = {"is_logged_in": True, "email": "ROOT@example.org"}
    at.run()
    assert titles(at) == ["Review queue"], at.exception
    at.switch_page("views/cycles.py").run()
    assert titles(at) == ["Capability per cycle"], at.exception
    stranger = app()
    stranger.secrets["auth"] = {"redirect_uri": "http://127.0.0.1/oauth2callback", "cookie_secret": "x"}
    stranger.user = {"is_logged_in": True, "email": "eve@example.org"}
    stranger.run()
    assert titles(stranger) == ["IDA oversight · log in"] and "no account" in stranger.error[0].value
    assert [e["payload"]["method"] for e in events(review_run, "login")] == ["oidc"]


def test_model_text_is_rendered_as_text(tmp_path, monkeypatch):
    from review_world import make_review_run

    run_dir = make_review_run(tmp_path, hostile_first=True)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    at = login(app(), "alice", PASSWORDS["alice"])
    at.button(key="claim").click().run()
    markdown = " ".join(m.value for m in at.markdown)
    assert HOSTILE not in markdown and "pwned" not in markdown
    lease = ReviewQueue(Store(run_dir / "ida.sqlite")).current("alice")
    assert at.text_input(key=f"answer-{lease.id}").value == HOSTILE  # shown as the input's text


def test_the_true_answer_shows_only_when_the_run_opts_in(tmp_path, monkeypatch):
    from review_world import make_review_run

    from ida.config import dump_config, load_config
    from ida.review import lease_view
    from ida.run import build_task

    run_dir = make_review_run(tmp_path)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    at = login(app(), "alice", PASSWORDS["alice"])
    at.button(key="claim").click().run()
    assert not [c.value for c in at.caption if "true answer" in c.value]
    config = load_config(run_dir / "config.yaml", ["review.show_truth=true"])
    (run_dir / "config.yaml").write_text(dump_config(config))
    store = Store(run_dir / "ida.sqlite")
    lease = ReviewQueue(store).current("alice")
    truth = lease_view(store, build_task(config), lease, show_truth=True).truth  # the task's, from its world
    assert truth is not None
    at = login(app(), "alice", PASSWORDS["alice"])  # a fresh session reads the changed config
    shown = [c.value for c in at.caption if "true answer" in c.value]
    assert len(shown) == 1 and f"true answer (the run opts in): {truth}" in shown[0], [c.value for c in at.caption]
