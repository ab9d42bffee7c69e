"""What every page needs per rerun: the run's paths, fresh `Store` connections (opened and closed within the
rerun: Streamlit's session state never holds a connection), the logged-in user, and the role gate."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

from ida.config import RunConfig, load_config
from ida.paths import RunPaths
from ida.review.queue import ReviewQueue
from ida.store import RunRecords, Store
from ida.store.open import open_store
from ida.accounts import Sessions, User, Users, default_users_db
from ida.errors import RunDirError
from ida.review.workspace import Limits, Workspaces

USER_KEY = "ida_user"  # session state: {"name", "role", "method", "sid"}; plain values only
COOKIE = "ida_session"  # the cookie that keeps a session id across reloads (the record lives in the store)
COOKIE_PENDING = "ida_cookie"  # session state: the cookie value to write on the next rerun ("" clears it)
TOKEN_PARAM = "session"  # older versions put a token in the address: it is removed, never read


def run_dir() -> Path:
    value = os.environ.get("IDA_RUN_DIR")
    if not value:
        st.error("IDA_RUN_DIR is not set: start the app with `ida review RUN_DIR`.")
        st.stop()
    return Path(value)


def users_db() -> Path | str:
    value = os.environ.get("IDA_USERS_DB")
    return value if value and "://" in value else Path(value or default_users_db(run_dir().parent))


def run_config() -> RunConfig:
    return load_config(RunPaths(run_dir()).config)


def utc(ts: float) -> str:
    """A store timestamp as the pages show it."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Stores:
    run: Store
    users: Users
    run_id: str

    def queue(self) -> ReviewQueue:
        return ReviewQueue(self.run, run_config().review.lease_minutes)

    def workspaces(self) -> Workspaces:
        cfg = run_config()
        return Workspaces(self.run, cfg.review.workspace_minutes, Limits.of(cfg.amplify, cfg.review))

    @property
    def records(self) -> RunRecords:
        """The run's rows in `run` (bound to `run_id`)."""
        return self.run.run(self.run_id)


@contextmanager
def open_stores() -> Iterator[Stores]:
    """Connections for this rerun only; a store that is not one stops the page with one line."""
    try:
        run = open_store(run_config().store, run_dir())
    except RunDirError as err:
        st.error(str(err))
        st.stop()
    try:
        users = Store(users_db())
    except RunDirError as err:
        run.close()
        st.error(f"{err} (the accounts file: set IDA_USERS_DB or `ida review --users-db`)")
        st.stop()
    try:
        yield Stores(run, Users(users), run.run_row()["id"])
    finally:
        run.close()
        users.close()


@st.cache_resource(show_spinner=False)
def _task(config_text: str):  # type: ignore[no-untyped-def]
    from ida.build import build_task

    return build_task(run_config(), run_dir())  # with the run dir: a qa run's pinned data file is found there


def task():  # type: ignore[no-untyped-def]
    """The run's task (built once per app process; no model stack): evidence and answer validation."""
    return _task(RunPaths(run_dir()).config.read_text())


def client_id() -> str:
    """Who is trying to log in, for the lockout and the audit log: the address the server sees; a forwarded
    address only when that peer is one of `review.trusted_proxies` (a header anyone can send is never believed)."""
    peer = str(getattr(st.context, "ip_address", None) or "local")
    if peer in run_config().review.trusted_proxies:
        hops = [h.strip() for h in (st.context.headers or {}).get("X-Forwarded-For", "").split(",") if h.strip()]
        return hops[-1] if hops else peer  # the address the proxy itself saw (the last hop it appended)
    return peer


def _cookie() -> str | None:
    """The session id the browser kept, if any (outside a browser, e.g. AppTest, there is none)."""
    try:
        value = st.context.cookies.get(COOKIE)
    except (AttributeError, RuntimeError):
        return None
    return value if isinstance(value, str) and value else None


def _sessions(s: Stores) -> Sessions:
    return Sessions(s.users.store)


def current_user() -> User | None:
    """The logged-in user: this browser tab's session (checked against the store on every rerun, so a revoked
    session ends at once), else a live session whose id the browser kept in its cookie (a reload; logged)."""
    if TOKEN_PARAM in st.query_params:
        del st.query_params[TOKEN_PARAM]  # an address never carries a session
    data = st.session_state.get(USER_KEY)
    sid = data.get("sid") if data else _cookie()
    if not sid:
        return None
    with open_stores() as s:
        user = _sessions(s).check(sid)
        if user is not None and not data:
            s.records.event(user.name, "session_resumed", {"client": client_id()})
    if user is None:
        st.session_state.pop(USER_KEY, None)
        return None
    st.session_state[USER_KEY] = {"name": user.name, "role": user.role, "sid": sid,
                                  "method": data["method"] if data else "cookie"}
    return user


def set_user(user: User, method: str) -> None:
    """Open a server-side session for `user`; the browser gets its id in a cookie (written on the next rerun)."""
    with open_stores() as s:
        sid = _sessions(s).open(user, client_id(), method)
    st.session_state[USER_KEY] = {"name": user.name, "role": user.role, "method": method, "sid": sid}
    st.session_state[COOKIE_PENDING] = sid


def end_session() -> str | None:
    """Revoke this tab's session (logout); the cookie is cleared on the next rerun. Returns the login method."""
    data = st.session_state.pop(USER_KEY, None) or {}
    with open_stores() as s:
        _sessions(s).revoke(data.get("sid") or _cookie())
        if data.get("name"):
            s.records.event(data["name"], "logout", {})
    st.session_state[COOKIE_PENDING] = ""
    return data.get("method")


def write_cookie() -> None:
    """Set (after a login) or clear (after a logout) the session cookie; nothing else is ever put in it."""
    sid = st.session_state.pop(COOKIE_PENDING, None)
    if sid is None:
        return
    url = getattr(st.context, "url", None)
    secure = "; Secure" if isinstance(url, str) and url.startswith("https") else ""
    value = f"{COOKIE}={sid}; path=/; SameSite=Strict{secure}" + ("" if sid else "; max-age=0")
    st.html(f"<script>document.cookie = {json.dumps(value)};</script>", unsafe_allow_javascript=True)


def require_user() -> User:
    user = current_user()
    if user is None:
        st.stop()
    return user


def require_admin() -> User:
    """Pages for admins call this first: the navigation hides them, this refuses them."""
    user = require_user()
    if not user.is_admin:
        st.error("This page is for admins.")
        st.stop()
    return user


def auth_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an [auth] section (then the app logs in through OIDC)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
