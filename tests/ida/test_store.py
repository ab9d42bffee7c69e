import sqlite3

import pytest

from ida.store import Store


def test_phase_results_examples_and_metrics_land_together(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "permutation", "seed: 0\n")
    assert store.phase_result("r", 1, "amplify") is None
    example = {"question_id": "q1", "difficulty": 2, "prompt": "p", "answer": "3", "graph": {"n": 1}}
    store.finish_phase("r", 1, "amplify", {"examples": 1}, metrics={"student": {2: 0.5}}, examples=[example])
    assert store.phase_result("r", 1, "amplify") == {"examples": 1}
    assert store.metrics("r") == {1: {"student": {"2": 0.5}}}
    assert store.examples("r", 1)[0]["graph"] == {"n": 1}
    store.finish_phase("r", 1, "review", {}, examples=[{**example, "verdict": "accept", "target": "3"}])
    (row,) = store.examples("r", 1)
    assert (row["verdict"], row["target"], row["answer"]) == ("accept", "3", "3")


def test_failed_transaction_leaves_nothing(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "t", "")
    with pytest.raises(KeyError):
        store.finish_phase("r", 1, "amplify", {}, examples=[{"question_id": "q"}])  # missing fields
    assert store.phase_result("r", 1, "amplify") is None and store.examples("r", 1) == []


def test_event_log_is_append_only_and_wal(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "t", "")
    store.log_event("r", "alice", "login", {"ok": True})
    assert [e["kind"] for e in store.events("r")] == ["run_created", "login"]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("UPDATE events SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("DELETE FROM events")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_second_connection_sees_committed_phase(tmp_path):
    a, b = Store(tmp_path / "s.sqlite"), Store(tmp_path / "s.sqlite")
    a.create_run("r", "t", "")
    a.finish_phase("r", 2, "distill", {"train_steps": 5})
    assert b.phase_result("r", 2, "distill") == {"train_steps": 5}
    assert b.run()["status"] == "running"
