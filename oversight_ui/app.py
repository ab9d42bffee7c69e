"""Entry point of the oversight app (`ida review RUN_DIR` runs `streamlit run` on this file).

Nobody gets any page but the login without a live server-side session; admins get the cycles, adjudicate and
admin pages on top of the overseer's review queue, history and graph pages. An overseer sees no admin link, and an
admin page's address tells them it is for admins."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this file's folder on sys.path, not the project root; the app imports `oversight_ui.*`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oversight_ui.login import login_page, logout  # noqa: E402
from oversight_ui.session import current_user, write_cookie  # noqa: E402

# The favicon is a file of this package: the app never asks the network for an asset.
st.set_page_config(page_title="IDA oversight", page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
                   layout="wide")
VIEWS = Path(__file__).parent / "views"
# Streamlit's default 6rem above the title would push a review item's buttons below a 720-pixel-high window.
st.html("<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}</style>")

PATHS = ("review", "workspace", "history", "graph", "cycles", "adjudicate", "admin")
ADMIN_PATHS = ("cycles", "adjudicate", "admin")


def admins_only() -> None:
    st.title("Admins only")
    st.error("This page is for admins: your account is an overseer's. Ask an admin if you need it.")


write_cookie()
user = current_user()
if user is None:
    # Every page's address leads to the login (a deep link then opens its page once logged in, if allowed).
    st.navigation([st.Page(login_page, title="Log in", url_path="login", default=True)]
                  + [st.Page(login_page, title="Log in", url_path=path) for path in PATHS], position="hidden").run()
else:
    review = [
        st.Page(VIEWS / "review.py", title="Review queue", icon=":material/inbox:", url_path="review", default=True),
        st.Page(VIEWS / "workspace.py", title="Decompose (H)", icon=":material/account_tree:",
                url_path="workspace"),
        st.Page(VIEWS / "history.py", title="My history", icon=":material/history:", url_path="history"),
        st.Page(VIEWS / "graph.py", title="Graphs", icon=":material/schema:", url_path="graph"),
    ]
    if user.is_admin:
        admin = [
            st.Page(VIEWS / "cycles.py", title="Cycles", icon=":material/monitoring:", url_path="cycles"),
            st.Page(VIEWS / "adjudicate.py", title="Adjudicate", icon=":material/gavel:", url_path="adjudicate"),
            st.Page(VIEWS / "admin.py", title="Reviewers & audit log", icon=":material/shield_person:",
                    url_path="admin"),
        ]
    else:  # the addresses exist (so a bookmark says why), the links do not
        admin = [st.Page(admins_only, title="Admins only", url_path=path) for path in ADMIN_PATHS]
    # The sidebar lists only the pages this role may open (Streamlit's own menu would list every page).
    page = st.navigation(review + admin, position="hidden")
    with st.sidebar:
        st.caption("Review")
        for p in review:
            st.page_link(p)
        if user.is_admin:
            st.caption("Admin")
            for p in admin:
                st.page_link(p)
        st.text(f"{user.name} · {user.role}")
        st.button("Log out", on_click=logout, key="logout")
    page.run()
