"""A phase that produced nothing usable is not stored as done (`cycle.on_empty: fail`, the default): the run is
`failed` with the reason, one line, and `ida resume` retries that phase; `cycle.on_empty: skip` lets the empty
cycle proceed with M_(n-1) kept."""

from __future__ import annotations

import json

import pytest
from transformers.utils import logging as hf_logging
from typer.testing import CliRunner

from reliability_helpers import FAST
from ida.cli import app
from ida.run import read_run

# transformers binds its log handler to sys.stderr on first use: make that pytest's stream, not the stream of
# one CliRunner call (closed when that call ends, so a later warning would print a logging error).
hf_logging.get_logger("transformers")

pytestmark = pytest.mark.slow  # whole runs, failed then resumed

OUTAGE = ["amplify.answerer.kind=openai", "amplify.decomposer=direct",
          "amplify.answerer.openai.base_url=http://127.0.0.1:9/v1",
          "amplify.answerer.openai.max_retries=0", "amplify.answerer.openai.timeout_s=2", "eval.amplified=false"]


def ida(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, ValueError))
    return result.exit_code, result.output


def sets(items) -> list[str]:
    return [x for item in items for x in ("--set", item)]


def report(run_dir) -> dict:
    return json.loads(ida("report", run_dir, "--json")[1])


def test_an_endpoint_outage_fails_amplify_and_resume_retries_it(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rc, out = ida("run", "--run-dir", tmp_path, "--quiet", *sets(FAST + ["max_cycles=1", "eval.baseline=false"]
                                                              + OUTAGE))
    assert rc == 2 and "cycle 1 amplify: 0 usable examples" in out, out
    [run_dir] = list(tmp_path.glob("[!.]*"))  # not the baseline cache
    rep = report(run_dir)
    assert rep["status"] == "failed" and "0 usable examples" in rep["reason"]
    record = read_run(run_dir)
    assert record.store.phase_result(record.id, 1, "amplify") is None  # not stored as done
    rc, out = ida("resume", run_dir, "--quiet", "--set", "amplify.answerer.kind=local",  # the endpoint is back
                  "--set", "amplify.decomposer=task")
    assert rc == 0, out
    rep = report(run_dir)
    assert rep["status"] == "finished" and rep["reason"] is None and rep["cycles"][0]["train_examples"] > 0


def test_an_empty_review_fails_unless_the_config_lets_the_cycle_proceed(tmp_path):
    # include_h_only: the examples H answered alone would otherwise be trained on without review
    empty = ["max_cycles=1", "eval.baseline=false", "review.policy=human", "review.quota=0", "review.wait=false",
             "review.include_h_only=true"]
    rc, out = ida("run", "--run-dir", tmp_path, "--quiet", *sets(FAST + empty))
    assert rc == 2 and "cycle 1 review: the dataset is empty" in out, out
    [run_dir] = list(tmp_path.glob("[!.]*"))  # not the baseline cache
    assert report(run_dir)["status"] == "failed"
    rc, out = ida("resume", run_dir, "--quiet", "--set", "cycle.on_empty=skip")
    assert rc == 0, out
    rep = report(run_dir)
    assert rep["status"] == "finished" and rep["cycles"][0]["train_steps"] == 0
    record = read_run(run_dir)
    assert record.store.phase_result(record.id, 1, "distill")["skipped"].startswith("empty dataset")
