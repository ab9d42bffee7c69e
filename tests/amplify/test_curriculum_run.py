"""A small curriculum run end to end (issue 23): addition up to 4 digits, 2 cycles, the frontier curriculum and the
format filter on the default tiny student. The window of each cycle is stored in the amplify result, the event log
and the report; SIGKILL inside cycle 2's amplify transaction, then `ida resume`, gives the same windows and
numbers as the uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ida.reporting.capability import build_report
from ida.run import read_run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ["task.name=addition",
            "task.params={max_digits: 4, eval_max_digits: 4, n_train: 240, eval_per_difficulty: 8}",
            "model.n_layer=1", "model.n_embd=32", "model.n_head=2", "model.n_positions=32", "model.max_answer_tokens=5",
            "distill.steps=30", "distill.batch_size=32", "distill.lr=0.003", "max_cycles=2", "eval.baseline=false",
            "safety.probe_size=8", "safety.retention_size=8", "amplify.filters.format=true",
            "amplify.curriculum={kind: frontier, ahead: 2.0, probe_questions: 8, probe_samples: 2, threshold: 0.5}"]


def ida(*args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("IDA_KILL_AT", None)
    if kill_at:
        env["IDA_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "ida.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def start(root: Path, kill_at: str | None = None) -> tuple[Path, subprocess.CompletedProcess]:
    args = ["run", "--run-dir", str(root), "--quiet"]
    for s in SETTINGS:
        args += ["--set", s]
    done = ida(*args, kill_at=kill_at)
    [run_dir] = [p for p in root.iterdir() if not p.name.startswith(".")]
    return run_dir, done


def numbers(run_dir: Path) -> dict:
    record = read_run(run_dir)
    try:
        phases = {f"{p['cycle']}:{p['phase']}": {k: v for k, v in p["result"].items() if k != "seconds"}
                  for p in record.store.phases(record.id) if p["phase"] in ("amplify", "review", "distill")}
        for r in phases.values():
            r.get("usage", {}).clear()
        windows = [e["payload"] for e in record.store.events(record.id) if e["kind"] == "curriculum_window"]
        metrics = record.store.metrics(record.id, "student")
    finally:
        record.store.close()
    return {"phases": phases, "windows": windows, "metrics": metrics}


def test_a_curriculum_run_resumes_to_the_same_windows_and_numbers(tmp_path):
    reference_dir, done = start(tmp_path / "reference")
    assert done.returncode == 0, done.stderr
    reference = numbers(reference_dir)
    windows = [reference["phases"][f"{c}:amplify"]["window"] for c in (1, 2)]
    assert [w["kind"] for w in windows] == ["frontier"] * 2 and windows[0]["high"] == 1  # M_0 knows nothing
    assert [w["cycle"] for w in reference["windows"]] == [1, 2]  # one event per cycle
    for c, w in zip((1, 2), windows):
        amplify = reference["phases"][f"{c}:amplify"]
        assert amplify["examples"] > 0
        assert set(amplify["filters"]) == {"truncated", "format"}
        record = read_run(reference_dir)
        rows = record.store.examples(record.id, c)
        record.store.close()
        assert rows and max(r.difficulty for r in rows) <= w["high"]  # nothing outside the window is amplified
    report = json.loads(ida("report", str(reference_dir), "--json").stdout)
    assert [c["window"] for c in report["cycles"]] == [{k: w[k] for k in ("kind", "low", "high",
                                                                          "estimated_frontier")} for w in windows]
    assert build_report(reference_dir)["cycles"][1]["filters"] == reference["phases"]["2:amplify"]["filters"]

    killed_dir, done = start(tmp_path / "killed", kill_at="commit:2:amplify")
    assert done.returncode == -9, done.stderr
    resumed = ida("resume", str(killed_dir), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert numbers(killed_dir) == reference
