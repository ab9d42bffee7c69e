"""The login page: local accounts (salted scrypt hashes in the users store) or, when `.streamlit/secrets.toml`
has an [auth] section, Streamlit's OIDC login with the e-mail mapped to an account's role. Both log to the run's
event log (login, login_failed, logout). A login opens a server-side session (`ida.accounts.sessions`)."""

from __future__ import annotations

import streamlit as st

from ida.accounts import LoginLocked
from oversight_ui.session import auth_configured, client_id, end_session, open_stores, set_user


def login_page() -> None:
    st.title("IDA oversight · log in")
    with open_stores():
        pass  # a run or accounts file that is not a store stops here with one line, before anyone types
    if auth_configured():
        _oidc()
    else:
        _local()


def _local() -> None:
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            with open_stores() as s:
                user = s.users.authenticate(name.strip(), password, audit=s.run, run_id=s.run_id, client=client_id())
        except LoginLocked as err:
            st.error(str(err))
            return
        if user is None:
            st.error("Wrong user name or password.")
            return
        set_user(user, "password")
        st.rerun()


def _oidc() -> None:
    if not st.user.is_logged_in:
        st.button("Log in with your identity provider", on_click=st.login, type="primary", key="oidc_login")
        return
    email = str(st.user.get("email") or "")
    with open_stores() as s:
        user = s.users.login_oidc(email, audit=s.run, run_id=s.run_id) if email else None
    if user is None:
        st.error("There is no account for this e-mail; ask an admin: ida users add NAME --email E --no-password")
        st.button("Log out", on_click=st.logout, key="oidc_logout")
        return
    set_user(user, "oidc")
    st.rerun()


def logout() -> None:
    """Revoke the session in the store (a kept cookie or tab then opens nothing), log it, clear the cookie."""
    if end_session() == "oidc":
        st.logout()
