import sqlite3

import pytest

from ida.store import ExampleRow, Store


def test_phase_results_examples_and_metrics_land_together(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "permutation", "seed: 0\n")
    assert store.phase_result("r", 1, "amplify") is None
    example = ExampleRow("q1", 2, "p", "3", graph={"n": 1})
    store.finish_phase("r", 1, "amplify", {"examples": 1}, metrics={"student": {2: 0.5}}, examples=[example])
    assert store.phase_result("r", 1, "amplify") == {"examples": 1}
    assert store.metrics("r") == {1: {"student": {"2": 0.5}}}
    assert store.examples("r", 1)[0].graph == {"n": 1}
    store.finish_phase("r", 1, "review", {}, examples=[example.reviewed("accept", "3")])
    (row,) = store.examples("r", 1)
    assert (row.verdict, row.target, row.answer, row.cycle) == ("accept", "3", "3", 1)


def test_failed_transaction_leaves_nothing(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "t", "")

    def fail_midway(s: Store) -> None:
        s.event("r", "system", "half_written")
        raise RuntimeError("killed mid-transaction")

    with pytest.raises(RuntimeError):
        store.finish_phase("r", 1, "amplify", {}, examples=[ExampleRow("q", 1, "p", "a")], also=fail_midway)
    assert store.phase_result("r", 1, "amplify") is None and store.examples("r", 1) == []
    assert [e["kind"] for e in store.events("r")] == ["run_created"]


def test_event_log_is_append_only_and_wal(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "t", "")
    store.event("r", "alice", "login", {"ok": True})
    assert [e["kind"] for e in store.events("r")] == ["run_created", "login"]
    raw = sqlite3.connect(tmp_path / "s.sqlite")  # another writer, not through the Store
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE events SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM events")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_second_connection_sees_committed_phase(tmp_path):
    a, b = Store(tmp_path / "s.sqlite"), Store(tmp_path / "s.sqlite")
    a.create_run("r", "t", "")
    a.finish_phase("r", 2, "distill", {"train_steps": 5})
    assert b.phase_result("r", 2, "distill") == {"train_steps": 5}
    assert b.run()["status"] == "running"
