"""My history: every verdict this overseer gave, newest first, with the question's text (and a node's
subquestion), and the time it took."""

from __future__ import annotations

import streamlit as st

from oversight_ui.session import open_stores, require_user, utc


def main() -> None:
    user = require_user()
    st.title("My history")
    with open_stores() as s:
        verdicts = s.queue().verdicts(user=user.name)
        texts, whats = {}, {}
        for v in verdicts:
            example = s.run.example(v["run_id"], v["cycle"], v["question_id"])
            nodes = {n.get("id"): n for n in (example.graph.get("nodes", []) if example else [])}
            texts[v["id"]] = nodes.get(0, {}).get("text", "?")
            whats[v["id"]] = ("the whole answer" if v["node"] == 0
                              else f"subquestion: {nodes.get(v['node'], {}).get('text', '?')}")
    if not verdicts:
        st.info("No verdicts yet.")
        return
    counts = {k: sum(v["verdict"] == k for v in verdicts) for k in ("accept", "edit", "reject")}
    cols = st.columns(4)
    cols[0].metric("Verdicts", len(verdicts))
    for col, (k, n) in zip(cols[1:], counts.items()):
        col.metric(k.capitalize(), n)
    rows = [{"when (UTC)": utc(v["ts"]),
             "cycle": v["cycle"], "question": texts[v["id"]], "what": whats[v["id"]], "verdict": v["verdict"],
             "edited answer": v["target"], "comment": v["comment"], "seconds": round(v["seconds"], 1)}
            for v in reversed(verdicts)]
    st.dataframe(rows, hide_index=True, width="stretch")


main()
