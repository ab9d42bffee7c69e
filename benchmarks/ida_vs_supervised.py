"""IDA against the supervised baseline on each of the five built-in tasks (in-weights form, CPU sizes), with the
same total number of training steps: final hardest-difficulty eval accuracy of each and the ratio IDA/supervised.

    python benchmarks/ida_vs_supervised.py                 # all five tasks, ~15-25 min on two cores
    python benchmarks/ida_vs_supervised.py --tasks permutation --steps 200

H decomposes a question of difficulty d into questions below d, so a cycle moves the frontier of right
targets up by about one difficulty: each task gets (number of difficulties + 1) cycles. Goal (issue 2): ratio
>= 0.95 on every task (the 2018 paper reports IDA competitive with supervised learning on all five).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

from ida.config import load_config
from ida.cycle import build_task, execute, start_run
from ida.progress import RunProgress
from ida.report import build_report

TASKS = ("permutation", "assignments", "wildcard", "shortest_path", "union_find")


def run_task(name: str, steps: int, root: Path, extra: list[str]) -> dict:
    probe = load_config(None, [f"task.name={name}"])
    cycles = len(build_task(probe).difficulties()) + 1
    overrides = [f"task.name={name}", f"max_cycles={cycles}", f"distill.steps={steps}", *extra]
    start = time.perf_counter()
    run = start_run(load_config(None, overrides), root, RunProgress(quiet=True))
    execute(run)
    report = build_report(run.dir)
    hardest = max(report["baseline"]["supervised"], key=int)
    return {"task": name, "cycles": cycles, "steps": cycles * steps, "hardest": hardest,
            "ida": report["cycles"][-1]["student"][hardest],
            "amplified": report["cycles"][-1]["amplified"][hardest],
            "supervised": report["baseline"]["supervised"][hardest], "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--steps", type=int, default=300, help="distillation steps per cycle")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="extra config override a.b=c")
    args = parser.parse_args()
    print(f"# ida_vs_supervised · {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
          f" · same total steps for both · hardest eval difficulty")
    print("| task | cycles | total steps | hardest d | IDA student | Amp(student) | supervised | IDA/supervised | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.tasks:
            r = run_task(name, args.steps, Path(tmp), args.extra)
            ratio = r["ida"] / r["supervised"] if r["supervised"] else float("nan")
            print(f"| {name} | {r['cycles']} | {r['steps']} | {r['hardest']} | {r['ida']:.2f} | {r['amplified']:.2f} | "
                  f"{r['supervised']:.2f} | {ratio:.2f} | {r['seconds']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
