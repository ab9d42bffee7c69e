"""Shared pieces of the reliability tests: tiny run settings, and `ida` commands forked from a warm process.
(A module of its own name, not conftest.py: other test folders have a conftest module too.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from tests.tiny import tiny

ROOT = Path(__file__).resolve().parents[2]
# Small enough that a whole run (2 cycles, every phase, the baseline) takes a few seconds on one core.
FAST = tiny("distill.steps=6", "distill.batch_size=16", "distill.lr=0.003", "max_cycles=2", "eval.baseline_steps=6",
            "safety.probe_size=8", "safety.retention_size=8", items=6, max_k=3)


def run_args(root: Path, extra: list[str] = ()) -> list[str]:
    argv = ["run", "--run-dir", str(root), "--quiet"]
    for item in [*FAST, *extra]:
        argv += ["--set", item]
    return argv


class Zygote:
    """`ida` commands run in children forked from one warm process (see zygote.py)."""

    def __init__(self, log_dir: Path):
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        env.pop("IDA_KILL_AT", None)
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("zygote.py"))], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert json.loads(self.proc.stdout.readline())["ready"]
        self.log_dir, self.count = log_dir, 0

    def run(self, *jobs: tuple[list[str], dict[str, str]]) -> list[tuple[int, str]]:
        """Fork one child per (argv, env) at once; each one's (exit code or -signal, output)."""
        outs = []
        for _ in jobs:
            self.count += 1
            outs.append(self.log_dir / f"job-{self.count}.log")
        request = {"jobs": [{"argv": argv, "env": env, "out": str(out)} for (argv, env), out in zip(jobs, outs)]}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        rcs = json.loads(self.proc.stdout.readline())["rcs"]
        return [(rc, out.read_text()) for rc, out in zip(rcs, outs)]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
