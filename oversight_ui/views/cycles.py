"""Cycles (admins): capability per difficulty per cycle, as in `capability.png`, and each cycle's review."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from oversight_ui.session import open_stores, require_admin, run_dir


def capability_frame(report: dict) -> pd.DataFrame:
    rows = [{"cycle": c["index"], "difficulty": int(k), "accuracy": v, "system": system}
            for c in report["cycles"] for system in ("student", "amplified") for k, v in c[system].items()]
    return pd.DataFrame(rows, columns=["cycle", "difficulty", "accuracy", "system"])


def capability_chart(frame: pd.DataFrame, baseline: dict | None, system: str) -> alt.LayerChart:
    colour = alt.Color("difficulty:O", scale=alt.Scale(scheme="viridis"), title="difficulty")
    lines = alt.Chart(frame[frame["system"] == system]).mark_line(point=True).encode(
        x=alt.X("cycle:O", title="cycle (student M_n)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", title="eval accuracy", scale=alt.Scale(domain=[0, 1])),
        color=colour, tooltip=["cycle", "difficulty", alt.Tooltip("accuracy:Q", format=".2f")])
    layers = [lines]
    if baseline:
        rules = pd.DataFrame([{"difficulty": int(k), "accuracy": v} for k, v in baseline["supervised"].items()])
        layers.append(alt.Chart(rules).mark_rule(strokeDash=[4, 3], opacity=0.7).encode(
            y="accuracy:Q", color=colour, tooltip=["difficulty", alt.Tooltip("accuracy:Q", format=".2f")]))
    return alt.layer(*layers).properties(height=380)


def frontier_rows(report: dict) -> list[dict]:
    """One row per cycle: M_n's and Amp(M_n)'s frontier, its change, accuracy beyond the trained lengths, the
    curriculum window the cycle amplified (with its label-free frontier estimate) and the targets each filter
    dropped."""
    from ida.reporting.capability import filters_text, window_text

    names = {"student": "M_n", "amplified": "Amp(M_n)", "change": "change", "extrapolation": "beyond trained"}
    return [{"cycle": c["index"], **{label: c.get("frontier", {}).get(key) for key, label in names.items()},
             "window": window_text(c.get("window")), "dropped by filters": filters_text(c.get("filters") or {})}
            for c in report["cycles"]]


def window_line(report: dict) -> str:
    """The curriculum window per cycle in one line of text ("" for runs without windows)."""
    from ida.reporting.capability import window_text

    shown = [f"cycle {c['index']}: {window_text(c.get('window'))}" for c in report["cycles"] if c.get("window")]
    return ("**Curriculum window** (train difficulties amplified; F: frontier estimated without labels): "
            + " · ".join(shown)) if shown else ""


def main() -> None:
    require_admin()
    from ida.reporting.capability import build_report  # no model stack: ida.reporting imports no torch

    st.title("Capability per cycle")
    report = build_report(run_dir())
    st.caption(f"task {report['task']} · status {report['status']} · dashed: supervised baseline")
    if report.get("reason") and report["status"] in ("failed", "interrupted"):
        st.error(f"Run {report['status']}: {report['reason']}")
    if not report["cycles"]:
        st.info("No cycle has been evaluated yet.")
    else:
        system = st.segmented_control("System", ["student", "amplified"], default="student", key="cycles_system",
                                      format_func=lambda s: "student M_n" if s == "student" else "Amp(H, M_n)")
        st.altair_chart(capability_chart(capability_frame(report), report["baseline"], system or "student"),
                        width="stretch")
        st.subheader("Capability frontier per cycle", divider="gray")
        st.caption("largest difficulty at which the model reaches the frontier threshold (90% by default) on the "
                   "held-out eval questions, with every easier difficulty; change: the capability amplification "
                   "rate of the cycle; window: the train difficulties the cycle amplified (F: the frontier "
                   "estimated without labels, amplify.curriculum)")
        st.dataframe(frontier_rows(report), hide_index=True, width="stretch")
        if line := window_line(report):
            st.markdown(line)
    with open_stores() as s:
        phases = [p for p in s.records.phases() if p["phase"] == "review"]
    if phases:
        st.subheader("Review per cycle", divider="gray")
        keys = ("policy", "accept", "edit", "reject", "queued", "unreviewed", "train_examples")
        st.dataframe([{"cycle": p["cycle"], **{k: p["result"].get(k) for k in keys}} for p in phases],
                     hide_index=True, width="stretch")


main()
