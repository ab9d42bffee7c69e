"""The default `ida run`, today's code against the code before issue 14 (commit c54085e), side by side in one run,
each as its own subprocess, alternating, and whether their capability tables are the same.

    python benchmarks/default_run_time.py                    # the full default run: 4 runs of ~2-4 min on 2 cores
    python benchmarks/default_run_time.py --set max_cycles=2 --set distill.steps=100   # a smaller one, both sides

Per round: `old` (c54085e: torch's default threads, no baseline cache), `old, 1 thread` (c54085e under
OMP_NUM_THREADS=1, to separate the thread setting from the rest), `new, cold` (this code in a fresh runs folder:
trains and caches the supervised baseline) and `new, warm` (this code again in the same runs folder: the baseline is
reused from `runs/.cache`). The old code comes from `git archive c54085e` into a temp folder (needs the git repo).
Printed: wall seconds of each `ida run` (process start to exit), the ratios to `old`, the load average, and whether
every cycle's student/Amp accuracy per difficulty and the baseline's equal those of `old` exactly.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

OLD_COMMIT = "c54085e"
ROOT = Path(__file__).resolve().parents[1]


def old_tree(dest: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "ida", "decomposition"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def ida_run(code: Path, runs: Path, overrides: list[str], env_extra: dict[str, str]) -> tuple[float, dict]:
    """One `ida run` in a subprocess with `code` first on the path; wall seconds and its report's numbers.

    The subprocess runs in the temp folder: `python -m` puts its working directory before PYTHONPATH, so started
    in the repository it would import this checkout's `ida` whatever PYTHONPATH says."""
    env = {**os.environ, "PYTHONPATH": str(code), **env_extra}
    cwd = runs.parent
    imported = subprocess.run([sys.executable, "-c", "import ida; print(ida.__file__)"], env=env, cwd=cwd,
                              check=True, capture_output=True, text=True).stdout.strip()
    if not Path(imported).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"the subprocess imports {imported}, not the code under {code}")
    args = [sys.executable, "-m", "ida.cli", "run", "--quiet", "--run-dir", str(runs),
            *sum((["--set", o] for o in overrides), [])]
    before = set(runs.iterdir()) if runs.exists() else set()
    start = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    [run_dir] = [p for p in runs.iterdir() if p not in before and not p.name.startswith(".")]
    report = subprocess.run([sys.executable, "-m", "ida.cli", "report", str(run_dir), "--json"], env=env, cwd=cwd,
                            check=True, capture_output=True, text=True).stdout
    return seconds, numbers(json.loads(report))


def numbers(report: dict) -> dict:
    """What must not change: every cycle's student and Amp accuracy per difficulty, and the baseline's."""
    return {"cycles": [(c["index"], c["student"], c["amplified"]) for c in report["cycles"]],
            "baseline": (report["baseline"] or {}).get("supervised")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="override for both sides")
    parser.add_argument("--new-set", dest="new_overrides", action="append", default=[],
                        help="override for this code only (a field the old code does not know)")
    parser.add_argument("--skip-old-1-thread", action="store_true")
    args = parser.parse_args()
    print(f"# default_run_time · {platform.machine()}, {os.cpu_count()} cores · old = {OLD_COMMIT} · "
          f"overrides: {args.overrides or 'none (the embedded default)'}; this code only: "
          f"{args.new_overrides or 'none'}")
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        old = old_tree(Path(tmp) / "old")
        sides = [("new, cold", ROOT, "new", {}), ("old", old, "old", {}),
                 ("old, 1 thread", old, "old1", {"OMP_NUM_THREADS": "1"}), ("new, warm", ROOT, "new", {})]
        if args.skip_old_1_thread:
            sides = [s for s in sides if s[0] != "old, 1 thread"]
        for r in range(args.rounds):
            reference = None
            results = {}
            for label, code, folder, env in sides:
                runs = Path(tmp) / f"runs-{folder}-{r}"
                load = os.getloadavg()[0]
                extra = args.new_overrides if folder == "new" else []
                seconds, got = ida_run(code, runs, args.overrides + extra, env)
                times.setdefault(label, []).append(seconds)
                results[label] = got
                print(f"round {r + 1} · {label}: {seconds:.1f} s (load average {load:.1f} at start)", flush=True)
            reference = results["old"]
            for label, got in results.items():
                if label != "old":
                    same = "same numbers as old" if got == reference else f"DIFFERENT numbers: {got} vs {reference}"
                    print(f"round {r + 1} · {label}: {same}", flush=True)
    base = sum(times["old"]) / len(times["old"])
    print("| code | seconds (mean of rounds) | ratio to old |")
    print("|---|---|---|")
    for label, values in times.items():
        mean = sum(values) / len(values)
        print(f"| {label} | {mean:.1f} | {mean / base:.2f} |")


if __name__ == "__main__":
    main()
