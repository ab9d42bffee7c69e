"""Monitors on real tiny runs: a noisy simulated overseer moves the oversight and collapse monitors; `ida run`
prints the monitors; the HTML report, `ida compare` and the MLflow export."""

import base64

import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.config import load_config
from ida.cycle import execute
from ida.run import open_run, start_run
from ida.progress import RunProgress
from tests.tiny import tiny

TINY = tiny("distill.steps=60", "distill.batch_size=32", "distill.lr=0.004", "eval.baseline=false", "max_cycles=2",
            "review.policy=simulated", "review.include_h_only=true",  # the overseer checks every target, H's own too
            items=16, embd=64)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(clean, noisy): the simulated overseer with error rate 0 and 0.5; the noisy one through `ida run`."""
    root = tmp_path_factory.mktemp("runs")
    clean = start_run(load_config(None, TINY + ["review.error_rate=0.0"]), root / "clean", RunProgress(quiet=True))
    execute(clean)
    args = ["run", "--run-dir", str(root / "noisy"), "--quiet"]
    for o in TINY + ["review.error_rate=0.5"]:
        args += ["--set", o]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    noisy = open_run(next((root / "noisy").iterdir()), RunProgress(quiet=True))
    return clean, noisy, result.output


@pytest.mark.slow
def test_ida_run_prints_the_monitors_per_cycle(runs):
    _, noisy, output = runs
    assert "safety monitors" in output and "drift" in output and "reject" in output
    table = output[output.index("safety monitors"):]
    assert [line.split()[0] for line in table.splitlines() if line.strip()[:2] in ("1 ", "2 ")] == ["1", "2"]


def test_a_noisy_overseer_moves_the_oversight_and_collapse_monitors(runs):
    clean, noisy, _ = runs
    for cycle in (1, 2):
        c = clean.store.metrics(clean.id)[cycle]
        n = noisy.store.metrics(noisy.id)[cycle]
        assert c["oversight"]["accepted_wrong"] == 0 and c["oversight"]["reject_rate"] == pytest.approx(
            c["oversight"]["amplified_wrong_share"])  # a perfect overseer rejects exactly the wrong targets
        assert n["oversight"]["reject_rate"] >= 0.2  # about half of the right targets are rejected too
        rows = noisy.store.examples(noisy.id, cycle)
        wrong = sum(r.verdict == "accept" and r.target != r.true_answer for r in rows)
        assert n["oversight"]["accepted_wrong"] == wrong
    noisy2, clean2 = noisy.store.metrics(noisy.id)[2], clean.store.metrics(clean.id)[2]
    assert noisy2["oversight"]["accepted_wrong"] > 0  # wrong targets got through to training
    assert noisy2["collapse"] != clean2["collapse"] and noisy2["collapse"]["answer_entropy_ratio"] != 1.0
    for name in ("gain", "fidelity", "jump", "capability", "retention", "forgetting", "collapse", "drift"):
        assert noisy2[name], name


def test_report_writes_a_self_contained_html_with_the_plots(runs):
    _, noisy, _ = runs
    result = CliRunner().invoke(app, ["report", str(noisy.dir)])
    assert result.exit_code == 0, result.output
    page = (noisy.dir / "report.html").read_text()
    images = page.split('src="data:image/png;base64,')[1:]
    assert len(images) == 2 and all(base64.b64decode(i.split('"')[0])[:4] == b"\x89PNG" for i in images)
    assert "<script" not in page and "fidelity" in page and "accepted_wrong" in page
    assert (noisy.dir / "monitors.png").stat().st_size > 10_000


def test_compare_lays_two_runs_side_by_side(runs, tmp_path):
    clean, noisy, _ = runs
    out = tmp_path / "compare.png"
    result = CliRunner().invoke(app, ["compare", str(clean.dir), str(noisy.dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert clean.id in result.output and noisy.id in result.output and out.stat().st_size > 10_000
    assert "A | B" in result.output


def test_mlflow_export_logs_each_cycle_once_with_hashes_as_tags(runs, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from ida.reporting.mlflow import export_mlflow

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    clean, _, _ = runs
    uri = f"file:{tmp_path / 'mlruns'}"
    clean.config.tracking.mlflow_uri = uri
    mlflow_run, cycles = export_mlflow(clean)
    assert cycles == [1, 2]
    client = MlflowClient(uri)
    history = client.get_metric_history(mlflow_run, "student/1")
    assert [m.step for m in history] == [1, 2]
    assert [m.value for m in history] == [clean.store.metrics(clean.id)[c]["student"]["1"] for c in (1, 2)]
    assert client.get_metric_history(mlflow_run, "drift/kl")[0].step == 1
    tags = client.get_run(mlflow_run).data.tags
    assert tags["cycle_2.review.dataset_sha256"] == clean.phase_done(2, "review").dataset_sha256
    assert tags["cycle_1.distill.checkpoint_sha256"] == clean.phase_done(1, "distill").checkpoint_sha256
    assert export_mlflow(clean) == (mlflow_run, [])  # idempotent: nothing logged twice
    assert len(client.get_metric_history(mlflow_run, "student/1")) == 2
