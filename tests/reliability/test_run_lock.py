"""One writer per run dir: a second writer is refused with one line naming the holder's pid (exit 2) and changes
nothing; a lock whose holder died is taken over and the run reads `interrupted`; checkpoint temp dirs are unique
per writer and stale ones are cleared."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reliability_helpers import FAST
from ida.cli import app
from ida.config import load_config
from ida.progress import RunProgress
from ida.run import open_run, save_atomic, start_run
from ida.runlock import RunLock, holder
from ida.errors import RunLocked

HOLD = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0); os.write(fd, f"{os.getpid()}\\n".encode())
    print("held", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def started(tmp_path):
    run = start_run(load_config(None, FAST), tmp_path, RunProgress(quiet=True))
    run.lock.release()  # as after `ida run` was killed right after start-up
    run.store.close()
    return run.dir


def foreign_holder(run_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir / "run.lock")], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def snapshot(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file() and p.name != "run.lock"}


def test_a_second_writer_is_refused_and_changes_nothing(started):
    proc = foreign_holder(started)
    try:
        before = snapshot(started)
        result = CliRunner().invoke(app, ["resume", str(started), "--set", "distill.steps=3", "--quiet"])
        assert result.exit_code == 2 and f"process {proc.pid}" in result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
        assert snapshot(started) == before and holder(started) == proc.pid
        with pytest.raises(RunLocked):
            RunLock.acquire(started)
    finally:
        proc.kill()
        proc.wait()


def test_a_dead_holders_lock_is_taken_over_and_the_run_reads_interrupted(started):
    proc = foreign_holder(started)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert holder(started) is None
    report = json.loads(CliRunner().invoke(app, ["report", str(started), "--json"]).output)
    assert report["status"] == "interrupted" and "resume" in report["reason"]
    lock = RunLock.acquire(started)
    try:
        assert lock.previous_pid == proc.pid and holder(started) == os.getpid()
        assert (started / "run.lock").read_text().strip() == str(os.getpid())
    finally:
        lock.release()


def test_the_lock_is_reentrant_in_one_process_and_released_at_the_end(started):
    run = open_run(started, RunProgress(quiet=True))
    a, b = RunLock.acquire(started), RunLock.acquire(started)
    assert a is b
    a.release()
    assert holder(started) == os.getpid()
    b.release()
    assert holder(started) is None
    run.store.close()


def test_checkpoint_temp_dirs_are_unique_and_stale_ones_removed(started):
    run = open_run(started, RunProgress(quiet=True))
    out = run.dir / "cycle-0" / "checkpoint"
    stale = out.with_name(".checkpoint.12345.abcdef.tmp")
    stale.mkdir()
    (stale / "half.bin").write_bytes(b"x")
    save_atomic(run.build_model(seed=1), out)
    assert (out / "config.json").exists() and not list(out.parent.glob(".*.tmp"))
    run.store.close()
