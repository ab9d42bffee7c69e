"""Admin: reviewer statistics (items per hour, median seconds per item, verdict rates, agreement on the overlap
slice), wrong targets trained on per cycle, disputes (decided on the Adjudicate page), a drill-down per item,
live leases, accounts, and the append-only audit log (verdicts with their comments and edits)."""

from __future__ import annotations

import json
import time

import streamlit as st

from ida.review.disputes import cohen_kappa, disputes
from ida.review.stats import agreement, reviewer_stats
from oversight_ui.session import open_stores, require_admin, utc


def show_disputes(verdicts: list[dict], adjudications: list[dict]) -> None:
    """How many items two overseers disagree on, how many wait for a decision, and where to decide them."""
    st.subheader("Disputed items", divider="gray")
    found = disputes(verdicts, adjudications)
    kappa, n = cohen_kappa(verdicts)
    waiting = sum(d.decision is None for d in found)
    st.caption(f"{len(found)} disputes, {waiting} waiting for a decision; Cohen's kappa "
               + ("-" if kappa is None else f"{kappa:.2f}") + f" over {n} items judged twice.")
    if found:
        st.page_link("views/adjudicate.py", label="Decide them on the Adjudicate page", icon=":material/gavel:")


def drill_down(verdicts: list[dict], events: list[dict], leases: list[dict]) -> None:
    st.subheader("One item", divider="gray")
    ids = sorted({v["item_id"] for v in verdicts} | {x["item_id"] for x in leases})
    if not ids:
        st.caption("No item has been claimed yet.")
        return
    chosen = st.selectbox("Item", ids, key="admin_item")
    st.dataframe([{"who": v["user"], "verdict": v["verdict"], "edited answer": v["target"], "comment": v["comment"],
                   "seconds": round(v["seconds"], 1), "when (UTC)": utc(v["ts"])}
                  for v in verdicts if v["item_id"] == chosen], hide_index=True, width="stretch")
    st.dataframe([{"when (UTC)": utc(e["ts"]), "who": e["actor"], "what": e["kind"],
                   "details": json.dumps(e["payload"])}
                  for e in events if e["payload"].get("item") == chosen], hide_index=True, width="stretch")


def main() -> None:
    require_admin()
    st.title("Reviewers & audit log")
    with open_stores() as s:
        queue = s.queue()
        verdicts, adjudications = queue.verdicts(), queue.adjudications()
        live = [lease for lease in queue.leases() if lease["ended"] is None]
        users = s.users.list()
        events = s.run.events()
        still_open = queue.open_count()
        leases = queue.leases()
        oversight = s.records.metrics("oversight")
    share, pairs = agreement(verdicts)
    cols = st.columns(4)
    cols[0].metric("Verdicts", len(verdicts))
    cols[1].metric("Verdicts still wanted", still_open)
    cols[2].metric("Agreement (overlap)", "-" if share is None else f"{100 * share:.0f}%", help=f"{pairs} pairs")
    cols[3].metric("Live leases", len(live))
    st.subheader("Reviewer statistics", divider="gray")
    st.dataframe(reviewer_stats(verdicts), hide_index=True, width="stretch")
    if oversight:
        st.subheader("Wrong targets trained on", divider="gray")
        st.dataframe([{"cycle": c, "accepted targets that are wrong": m["oversight"].get("accepted_wrong"),
                       "accepted": m["oversight"].get("accepted"), "reject rate": m["oversight"].get("reject_rate")}
                      for c, m in sorted(oversight.items())], hide_index=True, width="stretch")
    show_disputes(verdicts, adjudications)
    drill_down(verdicts, events, leases)
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
