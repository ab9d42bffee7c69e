"""The run report: per-cycle capability (student and Amp(student)) per difficulty and the supervised baseline,
as JSON (`ida report --json`), as a rich table, and as `capability.png`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from ida.atomic import atomic_path
from ida.evaluate import frontier_record
from ida.reporting.format import pct
from ida.reporting.oversight import oversight_section
from ida.reporting.schema import Report
from ida.results import AmplifyResult
from ida.build import build_task
from ida.run import BASELINE_CYCLE, read_run
from ida.run import status as run_status


def build_report(run_dir: Path) -> dict[str, Any]:
    """The report as JSON (`typed_report(run_dir).as_json()`; its schema: `ida.reporting.schema.Report`)."""
    return typed_report(run_dir).as_json()


def typed_report(run_dir: Path) -> Report:
    """The report: run_id, task, status (running, paused, finished, failed, interrupted), reason (one line, or
    None), cycles[], baseline (None if not trained yet), oversight[] (per reviewed cycle: targets by provenance and
    difficulty, disputes and kappa; `ida.reporting.oversight`)."""
    run = read_run(run_dir)
    try:
        info = run.records.run_row()
        status, reason = run_status(run)
        metrics = run.records.metrics()
        phases = run.phase_results()
        reviewed = sorted(c for c, done in phases.items() if "review" in done)
        oversight = oversight_section(run.store, run.id, reviewed, run.config.review.disputes)
    finally:
        run.store.close()
    cycles: list[dict[str, Any]] = []
    trained = _trained_max(run.config, run.dir)
    for index in sorted(c for c in phases if c != BASELINE_CYCLE):
        done = phases[index]
        if "evaluate" not in done:
            continue
        cycles.append({
            "index": index,
            "student": metrics.get(index, {}).get("student", {}),
            "amplified": metrics.get(index, {}).get("amplified", {}),
            "frontier": _frontier(metrics.get(index, {}), cycles, trained, run.config.eval.frontier_threshold),
            "train_examples": done["distill"].train_examples,
            "train_steps": done["distill"].train_steps,
            "seconds": round(sum(r.seconds for r in done.values()), 3),
            "window": _window(done.get("amplify")),
            "filters": _filters(done.get("amplify")),
        })
    baseline_phase = phases.get(BASELINE_CYCLE, {}).get("baseline")
    baseline = None if baseline_phase is None else {
        "supervised": metrics.get(BASELINE_CYCLE, {}).get("supervised", {}),
        "train_steps": baseline_phase.train_steps}
    return Report(run_id=run.id, task=info["task"], status=status, reason=reason, cycles=cycles,
                  baseline=baseline, oversight=oversight)


def _trained_max(config: Any, run_dir: Path) -> int | None:
    """The hardest difficulty the task trains on (addition evaluates beyond it); None when the task cannot be
    built here (e.g. its data file is gone). Builds the task only: no model is loaded."""
    try:
        task = build_task(config, run_dir)
    except (ValueError, OSError):
        return None
    return max(task.train_difficulties(), default=None)


def _frontier(metrics: dict, earlier: list[dict], trained: int | None, threshold: float) -> dict[str, float]:
    """The cycle's frontier as its monitor phase stored it; recomputed from the accuracies when the run has no
    frontier monitor yet (change against the previous cycle; cycle 1 against M_0's frontier, taken as 0)."""
    if "frontier" in metrics:
        return metrics["frontier"]
    before = int(earlier[-1]["frontier"]["student"]) if earlier else 0
    return frontier_record(metrics.get("student", {}), metrics.get("amplified", {}), before, trained, threshold)


def _window(amplify: AmplifyResult | None) -> dict[str, Any] | None:
    """The cycle's curriculum window {kind, low, high, estimated_frontier} (None for runs made before curricula)."""
    w = None if amplify is None else amplify.window
    return None if w is None else w.model_dump(include={"kind", "low", "high", "estimated_frontier"})


def _filters(amplify: AmplifyResult | None) -> dict[str, dict[str, int]]:
    """Kept and dropped targets per target filter ({} for runs made before filters)."""
    return {} if amplify is None or amplify.filters is None else {
        name: c.model_dump() for name, c in amplify.filters.items()}


def window_text(window: dict[str, Any] | None) -> str:
    """`1..4` (all), `1..4 (F 2)` with the frontier curriculum's label-free estimate; "" when unknown."""
    if not window:
        return ""
    estimate = window.get("estimated_frontier")
    return f"{window['low']}..{window['high']}" + (f" (F {estimate})" if estimate is not None else "")


def filters_text(filters: dict[str, dict[str, int]]) -> str:
    """`format -12, vote -3`: examples each filter dropped (filters that dropped none are left out)."""
    return ", ".join(f"{name} -{c['dropped']}" for name, c in filters.items() if c.get("dropped"))


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
    table.add_column("frontier", justify="center", no_wrap=True)
    table.add_column("window", justify="center", no_wrap=True)
    table.add_column("dropped", justify="left")
    table.add_column("steps", justify="right")
    table.add_column("s", justify="right")
    for c in report["cycles"]:
        cells = [f"{pct(c['student'].get(k))}/{pct(c['amplified'].get(k))}" for k in keys]
        table.add_row(str(c["index"]), *cells, _frontier_cell(c["frontier"]), window_text(c.get("window")),
                      filters_text(c.get("filters") or {}), str(c["train_steps"]), f"{c['seconds']:.0f}")
    if report["baseline"]:
        b = report["baseline"]
        table.add_row("baseline", *[pct(b["supervised"].get(k)) for k in keys], "", "", "",
                      str(b["train_steps"]), "", style="italic")
    table.caption = ("cells: student/Amp(H, student) accuracy in % on the eval questions; frontier: largest "
                     "difficulty at >= 90% (student/Amp, change since the previous cycle); window: train "
                     "difficulties amplified (F: label-free frontier estimate); dropped: targets each filter "
                     "dropped; baseline: supervised on true answers")
    if report.get("reason"):
        table.caption += f"\n{report['status']}: {report['reason']}"
    return table


def _frontier_cell(f: dict[str, float]) -> str:
    amp = f"/{f['amplified']:.0f}" if "amplified" in f else ""
    change = f" ({f['change']:+.0f})" if "change" in f else ""
    return f"{f['student']:.0f}{amp}{change}"


def _plot_frontier(ax: Any, report: dict[str, Any]) -> None:
    """The frontier per cycle (student solid, Amp dotted) on a right-hand axis of difficulties."""
    xs = [c["index"] for c in report["cycles"]]
    ax.step(xs, [c["frontier"]["student"] for c in report["cycles"]], where="mid", color="crimson", linewidth=1.6,
            label="frontier M_n")
    ax.step(xs, [c["frontier"].get("amplified", float("nan")) for c in report["cycles"]], where="mid",
            color="crimson", linestyle=":", linewidth=1.2, label="frontier Amp(M_n)")
    _plot_windows(ax, report)
    ax.set_ylabel("frontier (difficulty at >= 90%)", color="crimson", fontsize=8)
    ax.set_ylim(0, max([int(k) for k in difficulties(report)] or [1]) + 0.5)
    ax.legend(fontsize=7, loc="upper left")


def _plot_windows(ax: Any, report: dict[str, Any]) -> None:
    """Each cycle's curriculum window as a shaded band over [low, high] on the difficulty axis."""
    labelled = False
    for c in report["cycles"]:
        w = c.get("window")
        if not w:
            continue
        ax.fill_between([c["index"] - 0.4, c["index"] + 0.4], w["low"] - 0.5, w["high"] + 0.5, color="crimson",
                        alpha=0.08, linewidth=0, label=None if labelled else "window (amplified difficulties)")
        labelled = True


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
    _plot_frontier(ax.twinx(), report)
    fig.tight_layout()
    with atomic_path(path) as tmp:  # a kill mid-write never leaves half a picture
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
