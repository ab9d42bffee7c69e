"""The example cycle scripts run end to end at their smallest sizes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"


def load(name: str):
    sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_own_task_example_runs_ida_and_the_baseline_and_prints_the_table(tmp_path, capsys):
    run = load("own_task").main(["--tiny", "--quiet", "--runs", str(tmp_path)])
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if "d=1" in line)
    assert lines[header].split()[:4] == ["cycle", "d=1", "d=2", "d=3"]
    assert [line.split()[0] for line in lines[header + 1:header + 4]] == ["1", "2", "supervised"]
    assert run.config.task.name == "own_task:CountOnesTask" and run.id.startswith("count_ones-")
    assert set(run.metrics("student")) == {1, 2}
    # H answers one bit itself, so Amp(H, M_0) is right at difficulty 1 from the start
    assert run.metrics("amplified")[1]["amplified"]["1"] == 1.0


@pytest.mark.slow
def test_seed_sweep_example_runs_three_seeds_and_saves_the_plot(tmp_path, capsys):
    out = load("seed_sweep").main(["--tiny", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "s.png")])
    assert out.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert printed.count("seed ") == 3 and len(list((tmp_path / "runs").glob("[!.]*"))) == 3
    assert "student" in printed and "amplified" in printed
