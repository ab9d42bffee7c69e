"""Admin: reviewer statistics (items per hour, median seconds per item, verdict rates, agreement on the overlap
slice), live leases, accounts, and the append-only audit log."""

from __future__ import annotations

import json
import time

import streamlit as st

from ida.review.stats import agreement, reviewer_stats
from oversight_ui.session import open_stores, require_admin, utc


def main() -> None:
    require_admin()
    st.title("Reviewers & audit log")
    with open_stores() as s:
        queue = s.queue()
        verdicts = queue.verdicts()
        live = [lease for lease in queue.leases() if lease["ended"] is None]
        users = s.users.list()
        events = s.run.events()
        still_open = queue.open_count()
    share, pairs = agreement(verdicts)
    cols = st.columns(4)
    cols[0].metric("Verdicts", len(verdicts))
    cols[1].metric("Verdicts still wanted", still_open)
    cols[2].metric("Agreement (overlap)", "-" if share is None else f"{100 * share:.0f}%", help=f"{pairs} pairs")
    cols[3].metric("Live leases", len(live))
    st.subheader("Reviewer statistics", divider="gray")
    st.dataframe(reviewer_stats(verdicts), hide_index=True, width="stretch")
    if live:
        st.subheader("Live leases", divider="gray")
        now = time.time()
        st.dataframe([{"user": x["user"], "item": x["item_id"], "claimed (UTC)": utc(x["claimed"]),
                       "seconds left": round(max(0.0, x["expires"] - now))} for x in live], hide_index=True)
    st.subheader("Accounts", divider="gray")
    st.dataframe([{"name": u.name, "role": u.role, "e-mail": u.email} for u in users], hide_index=True)
    st.subheader("Audit log", divider="gray")
    kinds = sorted({e["kind"] for e in events})
    chosen = st.multiselect("Kinds", kinds, key="audit_kinds")
    shown = [e for e in reversed(events) if not chosen or e["kind"] in chosen]
    st.dataframe([{"id": e["id"], "when (UTC)": utc(e["ts"]), "who": e["actor"], "what": e["kind"],
                   "details": json.dumps(e["payload"])} for e in shown], hide_index=True, width="stretch")


main()
