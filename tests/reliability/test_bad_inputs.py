"""Every bad input is one line naming the file or field, exit 2, no traceback, nothing written; errors mid-run
leave the run `failed` with its reason, and `ida resume` continues it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reliability_helpers import FAST
from ida.cli import app
from ida.config import load_config
from ida.errors import RunDirError
from ida.cycle import amplify_phase, distill_phase, review_phase
from ida.progress import RunProgress
from ida.run import read_run, start_run


def refused(args: list[str], *names: str) -> str:
    """Run `ida ARGS`: exit 2, a line naming each of `names`, no traceback."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    out = result.output
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), out
    assert "Traceback" not in out and "Usage:" not in out, out
    assert len(result.stderr.strip().splitlines()) == 1, out  # one line, however many fields are wrong
    assert all(n in out for n in names), out
    return out


def started(root: Path, extra=(), phases=()):
    run = start_run(load_config(None, FAST + list(extra)), root, RunProgress(quiet=True))
    for phase in phases:
        phase(run, 1)
    run.store.close()
    return run.dir


@pytest.mark.parametrize("content, names", [
    (b"a: [1,2\n", ["bad.yaml", "not valid YAML", "line 2"]),
    (b"\xff\xfe\x00", ["bad.yaml", "not UTF-8"]),
    (b"", ["bad.yaml", "empty"]),
    (b"- 1\n- 2\n", ["bad.yaml", "mapping"]),
    (b"distill: {lr: .inf}\n", ["distill.lr", "finite"]),
    (b"distill: {lr: .nan}\n", ["distill.lr", "finite"]),
])
def test_a_bad_config_file_is_one_line_and_no_run(tmp_path, content, names):
    (tmp_path / "bad.yaml").write_bytes(content)
    refused(["run", tmp_path / "bad.yaml", "--run-dir", tmp_path / "runs"], *names)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("args, names", [
    (["--set", "a=[1,2"], ["a=[1,2", "not valid YAML"]),
    (["--set", "distill.lr=abc"], ["distill.lr", "'abc'"]),  # pydantic's errors were two lines before
    (["--set", "max_cycles=x", "--set", "model.n_layer=-1"], ["max_cycles", "model.n_layer"]),
    (["--set", "foo=1"], ["foo", "Extra inputs"]),
    (["--set", "model=5"], ["model", "valid dictionary"]),
    (["--set", "amplify.curriculum={ahead: -1}"], ["amplify.curriculum"]),
    (["--set", "model.n_head=3"], ["model.n_embd", "n_head=3"]),
    (["--set", "review.sample_rate=2"], ["review.sample_rate"]),
    (["--bogus"], ["--bogus"]),
    (["--set", "distill.lr=.inf"], ["distill.lr"]),
    (["--set", "nokey"], ["nokey"]),
    (["CONFIG_DIR"], ["is a folder"]),
    (["MISSING.yaml"], ["MISSING.yaml", "no such config"]),
])
def test_bad_arguments_are_one_line(tmp_path, args, names):
    args = [str(tmp_path) if a == "CONFIG_DIR" else a for a in args]
    refused(["run", *args, "--run-dir", tmp_path / "runs"], *names)
    assert not (tmp_path / "runs").exists()


def test_a_run_dir_that_is_a_file_or_unwritable(tmp_path):
    (tmp_path / "afile").write_text("x")
    refused(["run", "--run-dir", tmp_path / "afile", "--set", "max_cycles=1"], "afile", "is a file")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "ro"
        locked.mkdir(mode=0o500)
        refused(["run", "--run-dir", locked / "runs", "--set", "max_cycles=1"], "cannot create")


@pytest.mark.parametrize("command", ["report", "resume"])
def test_a_folder_that_is_not_a_run(tmp_path, command):
    (tmp_path / "afile").write_text("x")
    refused([command, tmp_path], "not a run dir")
    refused([command, tmp_path / "nothere"], "no such run folder")
    refused([command, tmp_path / "afile"], "is a file")


@pytest.mark.parametrize("damage", ["empty", "truncated", "overwritten"])
def test_a_damaged_store_is_one_line(tmp_path, damage):
    run_dir = started(tmp_path)
    db = run_dir / "ida.sqlite"
    data = db.read_bytes()
    db.write_bytes({"empty": b"", "truncated": data[:300], "overwritten": b"not a database " * 100}[damage])
    for command in ("report", "resume"):
        refused([command, run_dir], "ida.sqlite")


@pytest.mark.parametrize("content", [b"", b"task: [\n", b"\xff"])
def test_a_damaged_run_config_is_an_error_never_the_defaults(tmp_path, content):
    run_dir = started(tmp_path)
    (run_dir / "config.yaml").write_bytes(content)
    for command in ("report", "resume"):
        refused([command, run_dir], "config.yaml")


def test_a_missing_checkpoint_is_named_before_any_work(tmp_path):
    run_dir = started(tmp_path, ["max_cycles=2"], [amplify_phase, review_phase, distill_phase])
    shutil.rmtree(run_dir / "cycle-1" / "checkpoint")
    refused(["resume", run_dir, "--quiet"], "cycle-1/checkpoint", "missing")


@pytest.mark.slow  # a whole run
def test_missing_m0_and_dataset_are_rebuilt_by_resume(tmp_path):
    run_dir = started(tmp_path, ["max_cycles=1"], [amplify_phase, review_phase])
    shutil.rmtree(run_dir / "cycle-0" / "checkpoint")
    (run_dir / "cycle-1" / "dataset.jsonl").unlink()
    result = CliRunner().invoke(app, ["resume", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    events = [e for e in read_run(run_dir).store.events() if e["kind"] == "phase_reopened"]
    assert [(e["payload"]["cycle"], e["payload"]["phase"]) for e in events] == [(1, "review")]
    assert "dataset.jsonl is missing" in events[0]["payload"]["why"]
    assert (run_dir / "cycle-0" / "checkpoint" / "config.json").exists()
    report = json.loads(CliRunner().invoke(app, ["report", str(run_dir), "--json"]).output)
    assert report["status"] == "finished" and report["cycles"][0]["train_examples"] > 0


@pytest.mark.slow  # a whole run
def test_a_distillation_error_fails_the_run_with_its_reason_and_resume_continues(tmp_path):
    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path), "--quiet", "--set", "max_cycles=1",
                                      "--set", "distill.lr=1e30", *sum([["--set", o] for o in FAST[:5]], [])])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    [run_dir] = list(tmp_path.glob("[!.]*"))  # not the baseline cache
    report = json.loads(CliRunner().invoke(app, ["report", str(run_dir), "--json"]).output)
    assert report["status"] == "failed" and "nothing promoted" in report["reason"]
    result = CliRunner().invoke(app, ["resume", str(run_dir), "--quiet", "--set", "distill.lr=0.003"])
    assert result.exit_code == 0, result.output
    assert json.loads(CliRunner().invoke(app, ["report", str(run_dir), "--json"]).output)["status"] == "finished"


def test_debug_shows_the_error_itself(tmp_path):
    result = CliRunner().invoke(app, ["--debug", "report", str(tmp_path / "nothere")])
    assert isinstance(result.exception, RunDirError) and "nothere" in str(result.exception)


def test_an_unknown_error_is_one_line_marked_as_a_bug(tmp_path, monkeypatch):
    import ida

    def broken(_):
        raise TypeError("something the harness does not know")

    monkeypatch.setattr(ida, "report", broken, raising=False)
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1 and "a bug; rerun with --debug" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, names", [
    (["approve", "RUNS", "--cycle", "abc", "--note", "x"], ["--cycle", "'abc'", "integer"]),
    (["review", "RUNS", "--port", "http"], ["--port", "'http'"]),
    (["report"], ["Missing argument"]),
    (["no-such-command"], ["no-such-command"]),
    (["--no-such-option", "report"], ["--no-such-option"]),
])
def test_arguments_typer_cannot_parse_are_one_line_naming_the_value(tmp_path, args, names):
    refused([tmp_path if a == "RUNS" else a for a in args], *names)  # before: typer's usage box


def test_a_config_file_with_several_bad_fields_is_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("distill: {lr: [1, 2], steps: 0}\nmodel: {n_layer: x}\n")
    refused(["run", tmp_path / "bad.yaml", "--run-dir", tmp_path / "runs"], "distill.lr", "distill.steps",
            "model.n_layer")
    assert not (tmp_path / "runs").exists()
