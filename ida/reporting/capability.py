"""The run report: per-cycle capability (student and Amp(student)) per difficulty and the supervised baseline,
as JSON (`ida report --json`), as a rich table, and as `capability.png`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from ida.reporting.format import pct
from ida.run import BASELINE_CYCLE, read_run


def build_report(run_dir: Path) -> dict[str, Any]:
    """The report's JSON contract: run_id, task, status, cycles[], baseline (None if not trained yet)."""
    run = read_run(run_dir)
    try:
        info = run.store.run(run.id)
        metrics = run.store.metrics(run.id)
        phases: dict[int, dict[str, dict]] = {}
        for p in run.store.phases(run.id):
            phases.setdefault(p["cycle"], {})[p["phase"]] = p["result"]
    finally:
        run.store.close()
    cycles = []
    for index in sorted(c for c in phases if c != BASELINE_CYCLE):
        done = phases[index]
        if "evaluate" not in done:
            continue
        cycles.append({
            "index": index,
            "student": metrics.get(index, {}).get("student", {}),
            "amplified": metrics.get(index, {}).get("amplified", {}),
            "train_examples": done["distill"]["train_examples"],
            "train_steps": done["distill"]["train_steps"],
            "seconds": round(sum(r.get("seconds", 0.0) for r in done.values()), 3),
        })
    baseline_phase = phases.get(BASELINE_CYCLE, {}).get("baseline")
    baseline = None if baseline_phase is None else {
        "supervised": metrics.get(BASELINE_CYCLE, {}).get("supervised", {}),
        "train_steps": baseline_phase["train_steps"]}
    return {"run_id": run.id, "task": info["task"], "status": info["status"], "cycles": cycles,
            "baseline": baseline}


def difficulties(report: dict[str, Any]) -> list[str]:
    keys = {k for c in report["cycles"] for k in c["student"]}
    if report["baseline"]:
        keys |= set(report["baseline"]["supervised"])
    return sorted(keys, key=int)


def capability_table(report: dict[str, Any]) -> Table:
    """One row per cycle: student | amplified accuracy per difficulty; then the baseline row."""
    keys = difficulties(report)
    table = Table(title=f"{report['task']} · {report['run_id']} · {report['status']}", box=box.SIMPLE_HEAD)
    table.add_column("cycle", justify="right", min_width=8, no_wrap=True)
    for k in keys:
        table.add_column(f"d={k}", justify="center", no_wrap=True)
    table.add_column("steps", justify="right")
    table.add_column("s", justify="right")
    for c in report["cycles"]:
        cells = [f"{pct(c['student'].get(k))}/{pct(c['amplified'].get(k))}" for k in keys]
        table.add_row(str(c["index"]), *cells, str(c["train_steps"]), f"{c['seconds']:.0f}")
    if report["baseline"]:
        b = report["baseline"]
        table.add_row("baseline", *[pct(b["supervised"].get(k)) for k in keys],
                      str(b["train_steps"]), "", style="italic")
    table.caption = ("cells: student/Amp(H, student) accuracy in % on the eval questions; "
                     "baseline: supervised on true answers")
    return table


def plot_capability(report: dict[str, Any], path: Path) -> Path:
    """Accuracy per difficulty over cycles, one line per difficulty, the baseline dashed in the same colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    xs = [c["index"] for c in report["cycles"]]
    colours = plt.get_cmap("viridis")
    keys = difficulties(report)
    for i, k in enumerate(keys):
        colour = colours(i / max(1, len(keys) - 1))
        ax.plot(xs, [c["student"].get(k, float("nan")) for c in report["cycles"]], marker="o", color=colour,
                label=f"d={k}")
        if report["baseline"] and k in report["baseline"]["supervised"]:
            ax.axhline(report["baseline"]["supervised"][k], color=colour, linestyle="--", linewidth=0.8)
    ax.set(xlabel="cycle (student M_n)", ylabel="eval accuracy", ylim=(-0.02, 1.02))
    ax.set_title(f"{report['task']}: student capability per difficulty (dashed: supervised baseline)", fontsize=10)
    ax.set_xticks(xs)
    ax.legend(ncol=2, fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
