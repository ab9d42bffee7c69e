"""Long phases show progress (issue 23, item 6): the supervised baseline trains under a rich bar with its loss and
evaluates under a bar of its own, as the cycle phases do."""

from __future__ import annotations

import io

from rich.console import Console

from ida.config import load_config
from ida.cycle import run_phase
from ida.progress import RunProgress
from ida.run import BASELINE_CYCLE, start_run

FAST = ["task.params={n_items: 6, max_k: 3}", "model.n_layer=1", "model.n_embd=32", "model.n_head=2",
        "eval.baseline_steps=12", "eval.baseline_cache=false", "distill.stop_when_fit=false"]


def test_the_supervised_baseline_shows_a_bar_with_its_loss(tmp_path):
    screen = io.StringIO()
    progress = RunProgress(Console(file=screen, force_terminal=True, width=120))
    run = start_run(load_config(None, FAST), tmp_path, progress)
    try:
        run_phase(run, BASELINE_CYCLE, "baseline")
    finally:
        run.lock.release()
        run.store.close()
    shown = screen.getvalue()
    assert "baseline · supervised" in shown and "12/12" in shown and "loss " in shown
    assert "baseline · evaluate" in shown
