"""`amplify.executor: ray` on a real local Ray runtime (2 CPUs on 127.0.0.1): the default task's amplify gives
the examples `local` gives (answers, graphs, provenance; log-probs to float32 rounding, as the batches differ),
a worker SIGKILLed mid-phase is restarted and its shard retried, a whole run gives the local run's numbers, and a
cluster address where nothing answers is one line before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ida.amplify import Amplifier
from ida.config import load_config
from ida.models.local import LocalModel
from ida.run import build_task

import ray  # noqa: E402,F401

pytestmark = pytest.mark.slow  # a Ray runtime starts (about 10 s on 2 cores)

SMALL = ["model.n_layer=1", "model.n_embd=32", "model.n_head=2", "amplify.ray.num_workers=2"]


def examples(config, questions):
    task = build_task(config)
    model = LocalModel.build(config.model, task.vocabulary(), seed=config.seed)
    with Amplifier(config.amplify, task, model, filter_unsure=True) as amp:
        out = amp.amplify(questions(task))
    return [(e.question.id, e.answer, e.graph.to_json(), e.provenance, e.error) for e in out]


def same(got, expected) -> bool:
    """Equal examples; log-probs (and the confidence made of them) within float32 rounding; `answered_by` without
    its `memo:` mark (each worker has its own memo, so which copy of a repeated subquestion was asked first
    differs; the answer does not)."""
    def numbers(x):
        return [p for n in x[2]["nodes"] for p in [*(n["logprobs"] or []), n["confidence"] or 0.0]]

    def rest(x):
        qid, answer, graph, provenance, error = x
        nodes = [{**{k: v for k, v in n.items() if k not in ("logprobs", "confidence")},
                  "answered_by": (n["answered_by"] or "").removeprefix("memo:")} for n in graph["nodes"]]
        return qid, answer, {**graph, "nodes": nodes}, provenance, error

    return ([rest(x) for x in got] == [rest(x) for x in expected]
            and all(numbers(a) == pytest.approx(numbers(b), rel=1e-4, abs=1e-5) for a, b in zip(got, expected)))


def test_ray_gives_the_local_examples_and_survives_a_killed_worker(tmp_path, monkeypatch):
    local = load_config(None, SMALL)
    distributed = load_config(None, [*SMALL, "amplify.executor=ray"])
    questions = lambda task: task.questions("train")[:96]  # noqa: E731
    expected = examples(local, questions)
    assert same(examples(distributed, questions), expected)
    marker = tmp_path / "killed"
    monkeypatch.setenv("IDA_KILL_AT", f"ray:worker:{marker}")  # the first worker dies mid-phase, once
    assert same(examples(distributed, questions), expected)
    assert marker.exists()


def test_a_run_with_ray_gives_the_local_numbers(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
    from reliability_helpers import FAST, ROOT
    from test_kill_resume import numbers, the_run

    results = []
    for executor in ("local", "ray"):
        root = tmp_path / executor
        argv = [sys.executable, "-m", "ida.cli", "run", "--run-dir", str(root), "--quiet"]
        for item in [*FAST, "max_cycles=1", f"amplify.executor={executor}", "amplify.ray.num_workers=2"]:
            argv += ["--set", item]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        results.append(numbers(the_run(root)))
    assert results[0] == results[1]


def test_a_ray_address_where_nothing_answers_is_one_line(tmp_path):
    from ida.preflight import preflight
    from pg_server import free_port

    config = load_config(None, ["amplify.executor=ray", f"amplify.ray.address=127.0.0.1:{free_port()}"])
    with pytest.raises(ValueError, match=r"^amplify.ray.address: nothing answers at 127.0.0.1:\d+; start"):
        preflight(config, build_task(config))
