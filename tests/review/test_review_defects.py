"""Defects of issue 21 that AppTest or plain calls can show: a broken accounts file gives one line, a qa run's
items open with their evidence (the task built with the run dir's pinned data), the graph colours H's own
answers as H's, and unit=both says why a cycle queued subquestions only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from decomposition.graph import SubquestionGraph
from ida.config import dump_config, load_config
from ida.review.queue import WHOLE_EXAMPLE, ReviewQueue
from ida.run import build_task
from ida.store import ExampleRow, Store
from ida.tasks.lineage import pin_task_data
from oversight_ui.graph_dot import STATUS_COLOURS, to_dot
from review_world import PASSWORDS, _accounts, make_review_run

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "oversight_ui" / "app.py")


def login(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(PASSWORDS[name])
    return at.button[0].click().run()


def test_a_broken_accounts_file_gives_one_line(tmp_path, monkeypatch):
    run_dir = make_review_run(tmp_path)
    broken = tmp_path / "users.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(broken))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "not a usable IDA store" in error.value and "\n" not in error.value and str(broken) in error.value


def test_a_qa_runs_item_opens_with_its_evidence(tmp_path, monkeypatch):
    data = tmp_path / "q.jsonl"
    data.write_text(json.dumps({"id": "sky", "question": "Why is the sky blue ?", "answer": "scattering",
                                "context": "Rayleigh scattering ."}) + "\n")
    run_dir = tmp_path / "runs" / "qa1"
    run_dir.mkdir(parents=True)
    config = pin_task_data(load_config(None, ["task.name=qa", f"task.params={{path: {data}, eval_fraction: 0}}",
                                              "amplify.decomposer=direct", "review.policy=human"]), run_dir)
    (run_dir / "config.yaml").write_text(dump_config(config))
    data.unlink()  # the run has its own copy (data/q.jsonl, relative to the run dir)
    [question] = build_task(config, run_dir).questions("train")
    graph = SubquestionGraph(question.text, question.prompt)
    graph.set_answer(graph.root, "light", "M0")
    store = Store(run_dir / "ida.sqlite")
    store.create_run("qa1", "qa", dump_config(config))
    store.finish_phase("qa1", 1, "amplify", {}, examples=[ExampleRow(question.id, question.difficulty,
                                                                     question.prompt, "light", None,
                                                                     graph.to_json(), {"model_version": "M0"})])
    ReviewQueue(store).enqueue("qa1", 1, [(question.id, WHOLE_EXAMPLE)])
    store.close()
    _accounts(tmp_path)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(tmp_path / "runs" / "users.sqlite"))
    monkeypatch.chdir(tmp_path)  # the pinned path is relative to the run dir, not to where the app runs
    at = login("alice")
    at.button(key="claim").click().run()
    assert not at.exception, at.exception
    assert any("Rayleigh scattering ." in str(c.value) for c in at.code)


def test_the_graph_colours_hs_own_answers_as_hs():
    graph = SubquestionGraph("perm 3 ^ 2", "perm 3 ^ 2 =")
    first = graph.add_node("perm 3 ^ 1")
    graph.set_answer(first, "5", "M0")
    graph.set_answer(graph.root, "5", "H")  # H recomposed the root: status `answered`, by H
    dot = to_dot(graph.to_json())
    root_line = next(line for line in dot.splitlines() if line.strip().startswith("n0 "))
    node_line = next(line for line in dot.splitlines() if line.strip().startswith(f"n{first} "))
    assert STATUS_COLOURS["direct"] in root_line and STATUS_COLOURS["answered"] in node_line


def test_unit_both_says_why_a_cycle_has_only_subquestion_items(tmp_path, monkeypatch):
    run_dir = make_review_run(tmp_path, n_items=2)
    config = load_config(None, ["review.policy=human", "max_cycles=1", "review.unit=both"])
    (run_dir / "config.yaml").write_text(dump_config(config))
    store = Store(run_dir / "ida.sqlite")
    row = store.examples("r1", 1)[0]
    store.review_enqueue("r1", 2, [(row.question_id, 1, 1, json.dumps(["M0", "perm 0 ^ 1 ="]))], 0.0)
    store.close()
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    at = login("alice")
    captions = " ".join(str(c.value) for c in at.caption)
    assert "only subquestions this cycle: none of cycle 2's whole answers is reviewable" in captions


@pytest.mark.slow  # the workspace page loads the (tiny) model in the background as soon as a question shows
def test_a_workspace_answer_after_the_lease_ran_out_is_kept_and_said_not_saved(tmp_path, monkeypatch):
    import time

    from review_world import make_workspace_run

    run_dir = make_workspace_run(tmp_path)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    at = login("alice")
    at.switch_page("views/workspace.py").run()
    at.button(key="ws_claim").click().run()
    store = Store(run_dir / "ida.sqlite")
    ws = store.workspace_current("alice", time.time())
    at.text_input(key=f"ws_answer-{ws.id}").input("5")
    store.workspace_expire(time.time() + 3600)  # the lease runs out before she submits
    at.button(key=f"ws_finish-{ws.id}").click().run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "Not saved: the lease on this question ran out" in warning and "Your answer is kept below" in warning
    assert any("your answer: 5" in str(c.value) for c in at.code)
    assert store.workspace(ws.id).answer is None
