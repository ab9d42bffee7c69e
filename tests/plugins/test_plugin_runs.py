"""Plug-ins in runs: bad tasks refused before the run dir exists, a failing H program failing only its own
example, and a run whose plug-in no longer imports refused by `ida resume` / `ida report` in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ida
from ida.amplify import Amplifier
from ida.models.base import Answer
from ida.plugins import PluginError

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("cls,message", [
    ("DuplicateIds", "task.name: task 'DuplicateIds': questions('train') has duplicate id 'ones:0'"),
    ("OddDifficulty", "task.name: task 'OddDifficulty': question 'ones:00' (train) has difficulty 2, not among "
                      "difficulties() [1]"),
    ("NoTrainQuestions", "task.name: task 'NoTrainQuestions': questions('train') is empty"),
])
def test_a_task_with_bad_questions_is_refused_before_the_run_dir_exists(tmp_path, cls, message):
    config = ida.load_config(None, [f"task.name=plugin_parts:{cls}"])
    with pytest.raises(PluginError) as err:
        ida.start_run(config, tmp_path / "runs", ida.RunProgress(quiet=True))
    assert str(err.value) == message
    assert not (tmp_path / "runs").exists()


class Student:
    """Answers every count question with the right count (a stand-in for M_n)."""

    version = "student"

    def answer(self, prompts):
        return [Answer(str(p.split("=")[0].split()[1:].count("1"))) for p in prompts]


def test_a_raising_or_odd_h_program_fails_only_its_own_example():
    config = ida.load_config(None, ["task.name=plugin_parts:BadPrograms"])
    task = ida.make_task(config.task.name, max_len=2)
    questions = task.questions("train")
    with Amplifier(config.amplify, task, Student()) as amp:
        examples = {e.question.text: e for e in amp.amplify(questions)}
    assert examples["count 0 0"].error == "program raised RuntimeError: H has a bug"
    assert examples["count 0 1"].error == "program raised ZeroDivisionError: H divided by zero"
    assert examples["count 1 0"].error == ("program raised TypeError: H of task 'BadPrograms' yielded a str "
                                           "('count 1'), not a Question")
    assert all(examples[t].answer is None for t in ("count 0 0", "count 0 1", "count 1 0"))
    assert examples["count 1 1"].answer == "2" and examples["count 1"].answer == "1"


def _cli(args: list[str], pythonpath: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *pythonpath])}
    return subprocess.run([sys.executable, "-m", "ida.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


@pytest.mark.slow
def test_resume_and_report_say_in_one_line_when_the_plugin_no_longer_imports(tmp_path, monkeypatch):
    own = tmp_path / "own"
    own.mkdir()
    shutil.copy(Path(__file__).parent / "plugin_parts.py", own / "vanishing_parts.py")
    monkeypatch.syspath_prepend(str(own))
    config = ida.load_config(None, ["task.name=vanishing_parts:Ones", "task.params={max_len: 2}", "model.n_embd=16",
                                    "model.n_head=2", "model.n_layer=1"])
    run = ida.start_run(config, tmp_path / "runs", ida.RunProgress(quiet=True))
    assert "task:\n  name: vanishing_parts:Ones" in (run.dir / "config.yaml").read_text()
    assert run.id.startswith("Ones-")
    assert _cli(["report", str(run.dir), "--json"], [str(own)]).returncode == 0  # imports it again
    shutil.rmtree(own)
    assert _cli(["report", str(run.dir), "--json"], []).returncode == 0  # reading a run needs none of its plug-ins
    for command in (["resume", str(run.dir), "--quiet"],):
        done = _cli(command, [])
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]  # errors go to stderr
        assert done.returncode == 2, done.stdout + done.stderr
        assert lines == ["task.name: cannot import 'vanishing_parts:Ones' (ModuleNotFoundError: No module named "
                         "'vanishing_parts')"], done.stdout


@pytest.mark.parametrize("setting,line", [
    ("task.name=plugin_parts:NoVocabulary",
     "task.name: task class plugin_parts.NoVocabulary has no method vocabulary()"),
    ("task.name=plugin_parts:DuplicateIds", "task.name: task 'DuplicateIds': questions('train') has duplicate id "
                                            "'ones:0'"),
    ("amplify.decomposer=plugin_parts:half_protocol_factory", "amplify.decomposer: decomposer plugin_parts."
                                                              "HalfProtocol has no method overseer()"),
    ("review.policy=plugin_parts:HalfProtocol", "review.policy: review policy class plugin_parts.HalfProtocol has no "
                                                "method review()"),
])
def test_ida_run_refuses_a_bad_plugin_in_one_line_and_writes_nothing(tmp_path, setting, line):
    from typer.testing import CliRunner

    from ida.cli import app

    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path / "runs"), "--set", setting, "--quiet"])
    assert result.exit_code == 2 and result.output.strip() == line
    assert not (tmp_path / "runs").exists()
