"""Start `ida run` in its own process group and SIGKILL it mid-run, for the kill-and-resume tests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def phases_done(db_path: Path) -> int:
    """Phases stored as done in a run's store (0 while it cannot be read yet)."""
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return db.execute("SELECT count(*) FROM phases").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def kill_after(run_root: Path, overrides: list[str], phases: int, delay: float, timeout: float,
               poll: float = 0.01) -> Path:
    """Start `ida run --set <overrides>` under `run_root`, SIGKILL it `delay` seconds after `phases` phases are
    done (or after `timeout` seconds); return its run dir."""
    cmd = [sys.executable, "-m", "ida.cli", "run", "--run-dir", str(run_root), "--quiet"]
    for o in overrides:
        cmd += ["--set", o]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        dbs = list(run_root.glob("[!.]*/ida.sqlite"))  # not the start-up temp folder
        if dbs and phases_done(dbs[0]) >= phases:
            break
        time.sleep(poll)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return dbs[0].parent
