"""What every page needs per rerun: the run's paths, fresh `Store` connections (opened and closed within the
rerun: Streamlit's session state never holds a connection), the logged-in user, and the role gate."""

from __future__ import annotations

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
from ida.review.users import User, Users, default_users_db

USER_KEY = "ida_user"  # session state: {"name", "role", "method"}; plain values only


def run_dir() -> Path:
    value = os.environ.get("IDA_RUN_DIR")
    if not value:
        st.error("IDA_RUN_DIR is not set: start the app with `ida review RUN_DIR`.")
        st.stop()
    return Path(value)


def users_db() -> Path:
    return Path(os.environ.get("IDA_USERS_DB") or default_users_db(run_dir().parent))


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


@contextmanager
def open_stores() -> Iterator[Stores]:
    """Connections for this rerun only."""
    run, users = Store(run_dir() / "ida.sqlite"), Store(users_db())
    try:
        yield Stores(run, Users(users), run.run()["id"])
    finally:
        run.close()
        users.close()


def current_user() -> User | None:
    data = st.session_state.get(USER_KEY)
    return None if not data else User(data["name"], data["role"])


def set_user(user: User, method: str) -> None:
    st.session_state[USER_KEY] = {"name": user.name, "role": user.role, "method": method}


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
