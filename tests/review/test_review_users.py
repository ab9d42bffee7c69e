"""Accounts: salted slow hashes (never the password), roles, `ida users add/list`, `ida review` refusals."""

import sqlite3

import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.store import Store
from ida.accounts.users import UserError, Users, hash_password, verify_password


def test_hashes_are_salted_and_verify():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$") and "correct horse" not in a
    assert verify_password("correct horse", a) and not verify_password("correct hors", a)
    assert not verify_password("x", "plain-text-password")


def test_cli_adds_accounts_and_stores_no_password(tmp_path):
    runner = CliRunner()
    runs = str(tmp_path / "runs")
    out = runner.invoke(app, ["users", "add", "alice", "--role", "overseer", "--run-dir", runs],
                        input="s3cret-pass\ns3cret-pass\n")
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["users", "add", "root", "--role", "admin", "--run-dir", runs, "--password-stdin"],
                        input="root-pass-123\n")
    assert out.exit_code == 0, out.output
    bad = [runner.invoke(app, ["users", "add", "eve", "--role", "god", "--run-dir", runs, "--password-stdin"],
                         input="long-enough-1\n"),
           runner.invoke(app, ["users", "add", "alice", "--run-dir", runs, "--password-stdin"], input="another-pass\n"),
           runner.invoke(app, ["users", "add", "sam", "--run-dir", runs, "--password-stdin"], input="short\n"),
           runner.invoke(app, ["users", "add", "mia", "--run-dir", runs], input="first-pass\nother-pass\n"
                         "first-pass\nother-pass\nfirst-pass\nother-pass\n")]
    assert [r.exit_code for r in bad] == [2, 2, 2, 1]  # bad role, taken name, short, confirmation never matches
    listing = runner.invoke(app, ["users", "list", "--run-dir", runs])
    assert "alice" in listing.output and "admin" in listing.output and "mia" not in listing.output
    raw = sqlite3.connect(tmp_path / "runs" / "users.sqlite").execute("SELECT name, password FROM users").fetchall()
    assert {n for n, _ in raw} == {"alice", "root"}
    assert all("pass" not in p and p.startswith("scrypt$") for _, p in raw)
    users = Users(Store(tmp_path / "runs" / "users.sqlite"))
    audit = Store(tmp_path / "audit.sqlite")
    assert users.authenticate("alice", "s3cret-pass", audit, None).role == "overseer"
    assert users.authenticate("alice", "s3cret-pasS", audit, None) is None
    assert [e["kind"] for e in audit.events()] == ["login", "login_failed"]


def test_oidc_only_accounts_need_an_email(tmp_path):
    users = Users(Store(tmp_path / "users.sqlite"))
    try:
        users.add("sso", "admin", None)
    except UserError:
        pass
    else:
        raise AssertionError("an account without password and e-mail was accepted")
    users.add("sso", "admin", None, email="SSO@example.org")
    audit = Store(tmp_path / "audit.sqlite")
    assert users.login_oidc("sso@example.org", audit, None).name == "sso"
    assert users.authenticate("sso", "", audit, None) is None  # no password login for it


def test_review_command_refuses_a_missing_run_or_missing_accounts(tmp_path):
    runner = CliRunner()
    out = runner.invoke(app, ["review", str(tmp_path / "nope")])
    assert out.exit_code == 2 and "not a run dir" in out.output
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    Store(run_dir / "ida.sqlite").close()
    out = runner.invoke(app, ["review", str(run_dir)])
    assert out.exit_code == 2 and "ida users add" in out.output


def test_failed_logins_lock_the_client_too_and_the_lock_ends(tmp_path):
    from ida.accounts.users import LOCK_SECONDS, MAX_CLIENT_FAILURES, LoginLocked

    now = [1000.0]
    store = Store(tmp_path / "users.sqlite")
    users = Users(store, clock=lambda: now[0])
    users.add("carol", "overseer", "carol-password")
    for name in (f"guess{i}" for i in range(MAX_CLIENT_FAILURES)):  # many names from one client
        assert users.authenticate(name, "guess-guess", audit=store, run_id=None, client="10.0.0.9") is None
    with pytest.raises(LoginLocked, match="Too many failed logins"):
        users.authenticate("carol", "carol-password", audit=store, run_id=None, client="10.0.0.9")
    assert users.authenticate("carol", "carol-password", audit=store, run_id=None, client="10.0.0.7") is not None
    now[0] += LOCK_SECONDS + 1
    assert users.authenticate("carol", "carol-password", audit=store, run_id=None, client="10.0.0.9") is not None
    assert [e["payload"]["client"] for e in store.events() if e["kind"] == "login_locked"] == ["10.0.0.9"]


def test_sessions_are_server_side_and_end_at_logout_expiry_and_password_change(tmp_path):
    from ida.accounts import Sessions

    store = Store(tmp_path / "users.sqlite")
    users = Users(store)
    alice = users.add("alice", "overseer", "alice-password")
    now = [1000.0]
    sessions = Sessions(store, clock=lambda: now[0], hours=1)
    sid, other = sessions.open(alice, "10.0.0.1", "password"), sessions.open(alice, "10.0.0.2", "password")
    assert sessions.check(sid) == alice and sid != other and len(sid) >= 40
    assert sessions.check(sid + "x") is None and sessions.check("") is None and sessions.check(None) is None
    assert store.session_get(sid) is None  # only its hash is stored
    assert sessions.revoke(sid) and sessions.check(sid) is None and not sessions.revoke(sid)
    users.set_password("alice", "a-new-password", audit=store, run_id=None, by="alice")
    assert sessions.check(other) is None  # a password change ends every session of the account
    assert any(e["kind"] == "password_changed" and e["payload"]["sessions_revoked"] == 1 for e in store.events())
    late = sessions.open(alice, "10.0.0.1", "password")
    now[0] += 3601
    assert sessions.check(late) is None  # expired
    assert users.authenticate("alice", "a-new-password", audit=store, run_id=None) == alice
