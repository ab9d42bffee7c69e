"""Every objective through `ida run` on the default task (tiny), and a NaN loss stopping the cycle unpromoted."""

from __future__ import annotations

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from ida.cli import app
from ida.config import load_config
from ida.cycle import execute
from ida.run import start_run
from ida.distill.data import read_jsonl
from ida.distill.teachers import amplified_prompt
from ida.distill.trainer import DistillationError
from ida.models.local import LocalModel, content_hash
from ida.progress import RunProgress
from ida.store import Store
from tests.tiny import tiny

TINY = tiny("distill.steps=6", "distill.batch_size=16", "distill.lr=0.003", "max_cycles=1", "eval.baseline=false",
            "eval.amplified=false")

RUNS = {
    "kd": ["distill.objective=kd", "distill.kd.temperature=2.0", "distill.kd.top_k=4"],
    "on_policy": ["distill.objective=on_policy", "distill.on_policy.samples_per_question=2"],
    "on_policy_anchor": ["distill.objective=on_policy", "distill.teacher.kind=anchor", "distill.teacher.anchor=0"],
    # Enough steps for M_1 to learn k = 1 (sft), so cycle 2 has usable examples with subquestions.
    "mix": ["distill.objective=mix", "distill.weights={sft: 1.0, kd: 0.5}", "distill.grad_accum=2",
            "distill.steps=40", "distill.lr=0.01", "max_cycles=2"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNS)
def test_ida_run_with_each_objective(tmp_path, name):
    args = ["run", "--run-dir", str(tmp_path), "--quiet"]
    for o in TINY + RUNS[name]:
        args += ["--set", o]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    run_dir = next(tmp_path.iterdir())
    report = json.loads(CliRunner().invoke(app, ["report", str(run_dir), "--json"]).output)
    steps, cycles = (40, 2) if name == "mix" else (6, 1)
    assert report["status"] == "finished" and [c["train_steps"] for c in report["cycles"]] == [steps] * cycles
    store = Store(run_dir / "ida.sqlite")
    run_id = store.run_row()["id"]
    hashes = [content_hash(run_dir / f"cycle-{n}" / "checkpoint") for n in range(cycles + 1)]
    assert len(set(hashes)) == cycles + 1  # every cycle changed the student
    for cycle in range(1, cycles + 1):
        assert math.isfinite(store.phase_result(run_id, cycle, "distill")["final_loss"])
    # The amplified teacher sees M_{n-1}'s transcript; the student's prompt stays the bare question.
    data = read_jsonl(run_dir / f"cycle-{cycles}" / "dataset.jsonl")
    graphs = {r.question_id: r.graph for r in store.examples(run_id, cycles)}
    assert all(e.teacher_prompt == amplified_prompt(graphs[e.question_id], e.prompt) for e in data)
    if name == "mix":
        assert any(e.teacher_prompt.endswith(" = " + e.target + " | " + e.prompt) for e in data if e.difficulty == 2)


def test_a_nan_loss_stops_the_cycle_and_promotes_nothing(tmp_path):
    run = start_run(load_config(None, TINY + ["max_cycles=1"]), tmp_path, RunProgress(quiet=True))
    m0 = run.checkpoint(0)
    model = LocalModel.load(m0)
    with torch.no_grad():
        model.model.transformer.wte.weight.fill_(float("nan"))
    model.save(m0)
    with pytest.raises(DistillationError, match="nothing promoted"):
        execute(run)
    assert run.phase_done(1, "distill") is None and run.phase_done(1, "promote") is None
    assert not run.checkpoint(1).exists()
