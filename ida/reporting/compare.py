"""`ida compare RUN_A RUN_B`: two runs side by side, as a rich table (per cycle: mean student and Amp accuracy,
fidelity, drift, collapse, alerts) and `compare.png` (mean student accuracy per cycle and the last cycle's
accuracy per difficulty of both runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from ida.reporting.capability import build_report, difficulties
from ida.reporting.format import mean, pct
from ida.reporting.safety import build_safety_report


def load_side(run_dir: Path) -> dict[str, Any]:
    return {"capability": build_report(run_dir), "safety": build_safety_report(run_dir)}


def _cell(value: float | None, as_pct: bool = True) -> str:
    return pct(value) if as_pct or value is None else f"{value:.2f}"


def per_cycle(side: dict[str, Any]) -> dict[int, dict[str, float | None]]:
    """cycle -> the compared numbers of one run."""
    monitors = {c["index"]: c for c in side["safety"]["cycles"]}
    out = {}
    for c in side["capability"]["cycles"]:
        m = monitors.get(c["index"], {})
        out[c["index"]] = {"student": mean(c["student"]), "amplified": mean(c["amplified"]),
                           "fidelity": m.get("fidelity", {}).get("all"), "drift": m.get("drift", {}).get("kl"),
                           "entropy": m.get("collapse", {}).get("answer_entropy"),
                           "alerts": float(sum(a["cycle"] == c["index"] for a in side["safety"]["alerts"]))}
    return out


def compare_table(a: dict[str, Any], b: dict[str, Any]) -> Table:
    ra, rb = per_cycle(a), per_cycle(b)
    name_a, name_b = a["capability"]["run_id"], b["capability"]["run_id"]
    table = Table(title=f"A = {name_a} ({a['capability']['status']})  ·  B = {name_b} ({b['capability']['status']})",
                  box=box.SIMPLE_HEAD)
    cols = [("student %", "student", True), ("Amp %", "amplified", True), ("fidelity %", "fidelity", True),
            ("drift KL", "drift", False), ("answer H", "entropy", False), ("alerts", "alerts", False)]
    table.add_column("cycle", justify="right")
    for title, _, _ in cols:
        table.add_column(f"{title} A | B", justify="center", no_wrap=True)
    for cycle in sorted(set(ra) | set(rb)):
        xa, xb = ra.get(cycle, {}), rb.get(cycle, {})
        table.add_row(str(cycle), *[f"{_cell(xa.get(k), as_pct) if k != 'alerts' else _n(xa.get(k))} | "
                                    f"{_cell(xb.get(k), as_pct) if k != 'alerts' else _n(xb.get(k))}"
                                    for _, k, as_pct in cols])
    table.caption = "student/Amp: mean eval accuracy over difficulties; fidelity: M_n = Amp(M_(n-1)) on train questions"
    return table


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def plot_compare(a: dict[str, Any], b: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
    for side, style in ((a, "-"), (b, "--")):
        rows = per_cycle(side)
        xs = sorted(rows)
        label = side["capability"]["run_id"]
        left.plot(xs, [rows[x]["student"] for x in xs], style, marker="o", label=f"{label}: M_n")
        left.plot(xs, [rows[x]["amplified"] for x in xs], style, marker="x", alpha=0.6, label=f"{label}: Amp(M_n)")
    left.set(xlabel="cycle", ylabel="mean eval accuracy", ylim=(-0.02, 1.02), title="capability per cycle")
    left.legend(fontsize=6)
    keys = sorted(set(difficulties(a["capability"])) | set(difficulties(b["capability"])), key=int)
    width = 0.4
    for i, side in enumerate((a, b)):
        last = side["capability"]["cycles"][-1]["student"] if side["capability"]["cycles"] else {}
        right.bar([j + (i - 0.5) * width for j in range(len(keys))], [last.get(k, 0.0) for k in keys], width,
                  label=side["capability"]["run_id"])
    right.set_xticks(range(len(keys)), [f"d={k}" for k in keys])
    right.set(ylim=(0, 1.02), ylabel="accuracy", title="last cycle's student per difficulty")
    right.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
