"""What every page needs per rerun: the run's paths, fresh `Store` connections (opened and closed within the
rerun: Streamlit's session state never holds a connection), the logged-in user, and the role gate."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

from ida.config import RunConfig, load_config
from ida.review.queue import ReviewQueue
from ida.store import Store
from ida.store.open import open_store
from ida.review.users import User, Users, default_users_db, read_session_token, session_secret, session_token
from ida.review.workspace import Limits, Workspaces

USER_KEY = "ida_user"  # session state: {"name", "role", "method", "token"}; plain values only
TOKEN_PARAM = "session"  # the URL query parameter that keeps a login across reloads (signed, expiring)


def run_dir() -> Path:
    value = os.environ.get("IDA_RUN_DIR")
    if not value:
        st.error("IDA_RUN_DIR is not set: start the app with `ida review RUN_DIR`.")
        st.stop()
    return Path(value)


def users_db() -> Path | str:
    value = os.environ.get("IDA_USERS_DB")
    return value if value and "://" in value else Path(value or default_users_db(run_dir().parent))


def _key_place() -> Path:
    """Where the session key is kept: beside the users file, or (accounts in a store URL) in a folder of this host
    named after the URL, so the app processes of one host share it."""
    users = users_db()
    if isinstance(users, Path):
        return users
    return Path.home() / ".cache" / "ida" / hashlib.sha256(users.encode()).hexdigest()[:16] / "users"


def run_config() -> RunConfig:
    return load_config(run_dir() / "config.yaml")


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


@contextmanager
def open_stores() -> Iterator[Stores]:
    """Connections for this rerun only."""
    run, users = open_store(run_config().store, run_dir()), Store(users_db())
    try:
        yield Stores(run, Users(users), run.run()["id"])
    finally:
        run.close()
        users.close()


@st.cache_resource(show_spinner=False)
def _task(config_text: str):  # type: ignore[no-untyped-def]
    from ida.tasks import make_task

    t = run_config().task
    return make_task(t.name, form=t.form, seed=t.seed, **t.params)


def task():  # type: ignore[no-untyped-def]
    """The run's task (built once per app process; no model stack): evidence and answer validation."""
    return _task((run_dir() / "config.yaml").read_text())


def client_id() -> str:
    """Who is trying to log in, for the rate limit: the proxy's forwarded address, else the peer's."""
    headers = st.context.headers or {}
    forwarded = headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return forwarded or str(getattr(st.context, "ip_address", None) or "local")


def current_user() -> User | None:
    data = st.session_state.get(USER_KEY) or _from_token()
    if data and data.get("token") and st.query_params.get(TOKEN_PARAM) != data["token"]:
        st.query_params[TOKEN_PARAM] = data["token"]  # page switches drop query parameters: put it back
    return None if not data else User(data["name"], data["role"])


def _from_token() -> dict | None:
    """A reload: the session from the URL's signed token, if valid, unexpired and the account still exists."""
    token = st.query_params.get(TOKEN_PARAM)
    if not token:
        return None
    name = read_session_token(token, session_secret(_key_place()))
    if name is None:
        return None
    with open_stores() as s:
        user = s.users.get(name)
    if user is None:
        return None
    st.session_state[USER_KEY] = {"name": user.name, "role": user.role, "method": "token", "token": token}
    return st.session_state[USER_KEY]


def set_user(user: User, method: str) -> None:
    token = session_token(user.name, session_secret(_key_place()))
    st.session_state[USER_KEY] = {"name": user.name, "role": user.role, "method": method, "token": token}
    st.query_params[TOKEN_PARAM] = token


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
