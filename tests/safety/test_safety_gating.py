"""A tripped wire holds promotion and pauses the run until an admin signs off; nothing is lost to a SIGKILL."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.config import load_config
from ida.cycle import execute
from ida.run import open_run, start_run
from ida.progress import RunProgress
from ida.review.policies import Review, ReviewPolicy, ReviewRequest
from ida.safety import list_alerts
from tests.tiny import tiny

TINY = tiny("distill.steps=120", "distill.batch_size=32", "distill.lr=0.004", "eval.baseline=false", items=16,
            embd=64)


class TruthAtCycle2:
    """A scripted review policy: at cycle 2 the true answers replace Amp's targets (a capability jump)."""

    def __init__(self, inner: ReviewPolicy) -> None:
        self.inner = inner

    def review(self, request: ReviewRequest) -> tuple[list[Review], dict]:
        if request.cycle != 2:
            return self.inner.review(request)
        task = request.task
        return [Review(r.question_id, "accept", task.true_answer(request.questions[r.question_id]), "test:truth")
                for r in request.rows], {}


@pytest.mark.slow
def test_a_capability_jump_trips_the_wire_holds_promotion_and_continues_after_sign_off(tmp_path):
    run = start_run(load_config(None, TINY + ["max_cycles=2", "safety.max_accuracy_jump=0.3"]), tmp_path,
                    RunProgress(quiet=True))
    run.review_policy = TruthAtCycle2(run.review_policy)
    assert execute(run) == "paused"
    alerts = list_alerts(run.records)
    assert alerts and {a["cycle"] for a in alerts} == {2} and {a["tripwire"] for a in alerts} == {"accuracy_jump"}
    jump = run.store.metrics(run.id, "jump")[2]["jump"]
    assert all(a["value"] == jump[a["key"]] > 0.3 == a["threshold"] for a in alerts)
    assert "jump" in alerts[0]["message"] and "safety.max_accuracy_jump = 0.3" in alerts[0]["message"]
    assert run.records.run_row()["status"] == "paused"
    assert run.phase_done(2, "monitor") is not None and run.phase_done(2, "promote") is None
    # Resuming without a sign-off changes nothing.
    result = CliRunner().invoke(app, ["resume", str(run.dir), "--quiet"])
    assert result.exit_code == 3 and "ida approve" in result.output and run.phase_done(2, "promote") is None
    result = CliRunner().invoke(app, ["approve", str(run.dir), "--cycle", "2", "--note", "scripted jump",
                                      "--by", "ada"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["resume", str(run.dir), "--quiet"])
    assert result.exit_code == 0, result.output
    reopened = open_run(run.dir, RunProgress(quiet=True))
    assert reopened.records.run_row()["status"] == "finished"
    assert reopened.phase_done(2, "promote").stored()["signed_off"] == [{"by": "ada", "note": "scripted jump"}]
    assert reopened.phase_done(2, "promote").promoted is True
    kinds = [e["kind"] for e in reopened.store.events(run.id)]
    assert kinds.count("alert") == len(alerts) and "sign_off" in kinds and "promotion_held" in kinds


def _status(db: Path) -> str | None:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            row = conn.execute("SELECT status FROM runs").fetchone()
            return row[0] if row else None
    except sqlite3.OperationalError:
        return None


def _snapshot(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("phases", "metrics", "alerts", "examples")}


def _ida(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ida.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, text=True)


def _wait_paused(root: Path, proc: subprocess.Popen) -> Path:
    deadline = time.time() + 150
    while time.time() < deadline:
        dbs = list(root.glob("*/ida.sqlite"))
        if dbs and _status(dbs[0]) == "paused":
            return dbs[0]
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.05)
    raise AssertionError("the run never paused")


@pytest.mark.slow
def test_sigkill_while_paused_loses_nothing_and_a_waiting_resume_goes_on_after_sign_off(tmp_path):
    # A ceiling of 0.2 trips at cycle 1 (H answers k = 1 itself, so the student learns difficulty 1 at once).
    cmd = ["run", "--run-dir", str(tmp_path), "--quiet", "--wait-for-signoff"]
    for o in TINY + ["max_cycles=2", "distill.steps=60", "safety.max_accuracy=0.2", "safety.diversity_share=0.5",
                     "safety.diversity_source=human"]:
        cmd += ["--set", o]
    proc = _ida(cmd)
    db = _wait_paused(tmp_path, proc)
    time.sleep(0.3)  # it is now waiting for the sign-off
    before = _snapshot(db)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _snapshot(db) == before and _status(db) == "paused"
    assert before["alerts"] and {a[2] for a in before["alerts"]} == {1}  # cycle 1's alerts, still open
    assert {p[2] for p in before["phases"] if p[1] == 1} == {"amplify", "review", "distill", "evaluate", "monitor"}
    run_dir = db.parent
    resumed = _ida(["resume", str(run_dir), "--quiet", "--wait-for-signoff"])
    _wait_paused(tmp_path, resumed)
    time.sleep(0.3)
    assert resumed.poll() is None  # waiting, not exited
    assert CliRunner().invoke(app, ["approve", str(run_dir), "--cycle", "1", "--note", "toy ceiling"]).exit_code == 0
    # The waiting process goes on by itself; cycle 2 trips the ceiling again and it waits again: sign that off too.
    deadline = time.time() + 150
    while not _open_alerts(db, 2):
        assert time.time() < deadline and resumed.poll() is None, resumed.communicate()[0]
        time.sleep(0.05)
    approved = CliRunner().invoke(app, ["approve", str(run_dir), "--cycle", "2", "--note", "ok", "--by", "bo"])
    assert approved.exit_code == 0
    out, _ = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, out
    run = open_run(run_dir, RunProgress(quiet=True))
    assert run.records.run_row()["status"] == "finished" and run.phase_done(2, "promote").promoted
    after = _snapshot(db)
    assert all(set(before[t]) <= set(after[t]) for t in ("phases", "metrics", "examples"))  # nothing redone or lost
    review = run.phase_done(1, "review")
    mixed = review.diversity.mixed
    assert review.diversity.source == "human" and mixed > 0
    assert mixed == round(0.5 * (review.train_examples - mixed))


def _open_alerts(db: Path, cycle: int) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM alerts WHERE cycle = ? AND signoff_id IS NULL",
                                (cycle,)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
