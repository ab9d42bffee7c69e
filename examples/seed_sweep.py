"""A sweep over three seeds of the "count the ones" task (examples/own_task.py) with a summary plot: the
student's and Amp(H, student)'s mean eval accuracy per cycle, the band between the seeds' lowest and highest,
and the supervised baseline of each seed.

    python examples/seed_sweep.py --out sweep.png            # a few minutes on two CPU cores
    python examples/seed_sweep.py --tiny --out sweep.png     # the smallest sizes (what the test runs)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ida

sys.path.insert(0, str(Path(__file__).resolve().parent))
from own_task import SIZES  # noqa: E402  (the example's own sizes)


def mean_accuracy(by_difficulty: dict[str, float]) -> float:
    return sum(by_difficulty.values()) / len(by_difficulty) if by_difficulty else 0.0


def sweep(seeds: list[int], tiny: bool, runs: Path, quiet: bool = True) -> dict[int, dict]:
    """One run per seed (model init, sampling and training); {seed: its report}."""
    settings, max_len = SIZES["tiny" if tiny else "default"]
    reports = {}
    for seed in seeds:
        config = ida.load_config(None, ["task.name=own_task:CountOnesTask", f"task.params={{max_len: {max_len}}}",
                                        *settings, f"seed={seed}"])
        run = ida.start_run(config, runs, ida.RunProgress(quiet=quiet))
        ida.execute(run)
        reports[seed] = ida.report(run.dir)
        print(f"seed {seed}: {run.dir}")
    return reports


def summary(reports: dict[int, dict]) -> dict[str, list[tuple[float, float, float]]]:
    """Per cycle: (mean, lowest, highest) over seeds of the mean accuracy over difficulties."""
    out: dict[str, list[tuple[float, float, float]]] = {"student": [], "amplified": []}
    n_cycles = min(len(r["cycles"]) for r in reports.values())
    for kind in out:
        for i in range(n_cycles):
            values = [mean_accuracy(r["cycles"][i][kind]) for r in reports.values()]
            out[kind].append((sum(values) / len(values), min(values), max(values)))
    return out


def plot(reports: dict[int, dict], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = summary(reports)
    fig, ax = plt.subplots(figsize=(6, 4))
    for kind, color in (("student", "tab:blue"), ("amplified", "tab:orange")):
        cycles = list(range(1, len(stats[kind]) + 1))
        ax.plot(cycles, [m for m, _, _ in stats[kind]], marker="o", color=color, label=f"{kind} (mean)")
        ax.fill_between(cycles, [lo for _, lo, _ in stats[kind]], [hi for _, _, hi in stats[kind]], color=color,
                        alpha=0.2)
    for seed, report in reports.items():
        if report["baseline"]:
            ax.axhline(mean_accuracy(report["baseline"]["supervised"]), color="gray", linestyle=":", linewidth=1)
    ax.set(xlabel="cycle", ylabel="mean eval accuracy over difficulties", ylim=(0, 1.05),
           title=f"count the ones: {len(reports)} seeds (dotted: supervised baseline per seed)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="smallest sizes")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="folder of the run dirs")
    parser.add_argument("--out", type=Path, default=Path("seed_sweep.png"), help="where the plot is saved")
    args = parser.parse_args(argv)
    reports = sweep(args.seeds, args.tiny, args.runs)
    for kind, rows in summary(reports).items():
        cells = (f"  c{i + 1}: {m:.2f} [{lo:.2f}, {hi:.2f}]" for i, (m, lo, hi) in enumerate(rows))
        print(f"{kind:<10}" + "".join(cells))
    print(f"plot: {plot(reports, args.out)}")
    return args.out


if __name__ == "__main__":
    main()
