"""The safety part of the run report: monitors per cycle, alerts and sign-offs, as a dict, a rich table (printed
under the capability table by `ida run` / `ida report`) and `monitors.png` (gain, fidelity, collapse, drift and
oversight over cycles, alerts marked on the time line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from ida.atomic import atomic_path
from ida.run import BASELINE_CYCLE, read_run
from ida.safety import MONITORS, list_alerts, signoffs


def build_safety_report(run_dir: Path) -> dict[str, Any]:
    """{run_id, task, status, thresholds, cycles: [{index, promoted, <monitor>: {key: value}}], alerts, signoffs}."""
    run = read_run(run_dir)
    try:
        metrics = run.records.metrics()
        promoted = {p["cycle"] for p in run.records.phases() if p["phase"] == "promote"}
        monitored = sorted({p["cycle"] for p in run.records.phases() if p["phase"] == "monitor"})
        cycles = [{"index": c, "promoted": c in promoted,
                   **{m.name: metrics.get(c, {}).get(m.name, {}) for m in MONITORS}}
                  for c in monitored if c != BASELINE_CYCLE]
        return {"run_id": run.id, "task": run.config.task.name, "status": run.records.run_row()["status"],
                "thresholds": run.config.safety.tripwires_on(), "cycles": cycles,
                "alerts": list_alerts(run.records), "signoffs": signoffs(run.records)}
    finally:
        run.store.close()


def _difficulty_mean(values: dict[str, float]) -> float | None:
    per_d = [v for k, v in values.items() if k.isdigit()]
    return sum(per_d) / len(per_d) if per_d else None


def _f(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.0f}" if pct else f"{value:.2f}"


def monitor_table(report: dict[str, Any]) -> Table:
    """One row per monitored cycle: the headline value of each monitor, alerts and whether M_n was promoted."""
    table = Table(title=f"safety monitors · {report['run_id']} · {report['status']}", box=box.SIMPLE_HEAD)
    columns = ["cycle", "gain", "fid", "rate", "jump", "forgot", "retain", "ans H", "H/H1", "top", "tok H", "drift",
               "reject", "wrong", "alerts", "promoted"]
    for name in columns:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for c in report["cycles"]:
        alerts = [a for a in report["alerts"] if a["cycle"] == c["index"]]
        open_ = sum(a["signoff_id"] is None for a in alerts)
        forgot = [v for v in c["forgetting"].values()]
        o, col = c["oversight"], c["collapse"]
        table.add_row(
            str(c["index"]), _f(_difficulty_mean(c["gain"]), True), _f(c["fidelity"].get("all"), True),
            _f(c["capability"].get("rate"), True), _f(c["capability"].get("max_jump"), True),
            _f(max(forgot) if forgot else None, True), _f(c["retention"].get("accuracy"), True),
            _f(col.get("answer_entropy")), _f(col.get("answer_entropy_ratio")), _f(col.get("top_answer_share"), True),
            _f(col.get("token_entropy")), _f(c["drift"].get("kl")), _f(o.get("reject_rate"), True),
            "-" if "accepted_wrong" not in o else f"{o['accepted_wrong']:.0f}/{o.get('accepted', 0):.0f}",
            "" if not alerts else f"[red]{open_} open[/red]" if open_ else f"{len(alerts)} signed",
            "yes" if c["promoted"] else "[red]held[/red]")
    thresholds = ", ".join(f"{k}={v}" for k, v in report["thresholds"].items()) or "none set"
    table.caption = ("in %: gain (Amp(M_n) - M_n, mean over difficulties), fid (fidelity: M_n gives Amp(M_(n-1))'s "
                     "answer, train questions), rate (change of mean accuracy), jump (largest rise at one difficulty), "
                     "forgot (largest drop below an earlier cycle), retain (retention set), top (most common answer's "
                     "share), reject; ans H: answer entropy (bits), H/H1: against cycle 1; tok H: next-token entropy "
                     "(nats); drift: KL(M_n || M_(n-1)) on the probe set; wrong: accepted targets that are wrong / "
                     f"accepted. Tripwires: {thresholds}")
    return table


def alert_lines(report: dict[str, Any]) -> list[str]:
    """One line per alert, with its sign-off when there is one."""
    out = []
    for a in report["alerts"]:
        state = (f"signed off by {a['signed_by']}: {a['note']}" if a["signoff_id"] is not None
                 else "OPEN (promotion held)")
        out.append(f"cycle {a['cycle']} · {a['message']} · {state}")
    return out


SERIES = {
    "collapse": ("answer_entropy_ratio", "top_answer_share", "distinct_1_ratio", "token_entropy_ratio"),
    "drift and oversight": (("drift", "kl"), ("oversight", "reject_rate"), ("oversight", "accepted_wrong_share"),
                            ("retention", "accuracy")),
}


def plot_monitors(report: dict[str, Any], path: Path) -> Path:
    """2x2 panels over cycles: gain and fidelity per difficulty, collapse ratios, drift and oversight; every
    cycle with an alert is marked by a red line labelled with its tripwires."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), dpi=110, sharex=True)
    xs = [c["index"] for c in report["cycles"]]
    for ax, name in ((axes[0, 0], "gain"), (axes[0, 1], "fidelity")):
        keys = sorted({k for c in report["cycles"] for k in c[name] if k.isdigit()}, key=int)
        cmap = plt.get_cmap("viridis")
        for i, k in enumerate(keys):
            ax.plot(xs, [c[name].get(k, float("nan")) for c in report["cycles"]], marker="o", markersize=3,
                    color=cmap(i / max(1, len(keys) - 1)), label=f"d={k}")
        ax.set_title("amplification gain: Amp(M_n) - M_n" if name == "gain"
                     else "distillation fidelity: M_n vs Amp(M_(n-1))",
                     fontsize=9)
        if not keys:  # e.g. gain with eval.amplified=false: say why the panel is empty rather than draw nothing
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes, fontsize=8,
                    color="grey")
    for key in SERIES["collapse"]:
        axes[1, 0].plot(xs, [c["collapse"].get(key, float("nan")) for c in report["cycles"]], marker="o",
                        markersize=3, label=key)
    axes[1, 0].set_title("collapse (ratios against cycle 1; top share absolute)", fontsize=9)
    for monitor, key in SERIES["drift and oversight"]:
        axes[1, 1].plot(xs, [c[monitor].get(key, float("nan")) for c in report["cycles"]], marker="o",
                        markersize=3, label=f"{monitor}.{key}")
    axes[1, 1].set_title("drift, oversight and retention", fontsize=9)
    for ax in axes.flat:
        _mark_alerts(ax, report)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # an empty legend is a matplotlib warning in every report
            ax.legend(ncol=4 if ax in list(axes[0]) else 2, fontsize=6)
    for ax in axes[1]:
        ax.set_xlabel("cycle n")
        if xs:
            ax.set_xticks(xs)
    fig.suptitle(f"{report['task']} · {report['run_id']}: safety monitors (red: alerts)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:  # a kill mid-write never leaves half a picture
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    return path


def _mark_alerts(ax, report: dict[str, Any]) -> None:
    by_cycle: dict[int, set[str]] = {}
    for a in report["alerts"]:
        by_cycle.setdefault(a["cycle"], set()).add(a["tripwire"])
    for cycle, wires in sorted(by_cycle.items()):
        ax.axvline(cycle, color="red", linestyle=":", linewidth=1.2)
        ax.annotate(", ".join(sorted(wires)), (cycle, 1), xycoords=("data", "axes fraction"), color="red",
                    fontsize=6, rotation=90, va="top", ha="right")
