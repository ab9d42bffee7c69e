"""Threads of one process writing one SQLite store queue on the file's writer gate: none of them fails with
"database is locked" however many there are. Without the gate SQLite's busy handler polls, and a thread can lose
every poll for the whole busy timeout (with a 0.2 s timeout 19 of 20 threads failed here; with 30 s one CI run
on a loaded machine lost threads in the middle of a review-queue test)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

import ida.store.db as db_module
import ida.store.runs as runs_module
from ida.review.queue import ReviewQueue
from ida.store import Store


def _drain(url: str, users: int) -> list[str]:
    errors: list[str] = []

    def overseer(n: int) -> None:
        queue = ReviewQueue(Store(url))
        try:
            while (lease := queue.claim(f"u{n}")) is not None:
                queue.submit(lease.id, f"u{n}", "accept")
        except sqlite3.OperationalError as err:
            errors.append(str(err))
        finally:
            queue.store.close()

    threads = [threading.Thread(target=overseer, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_twenty_threads_with_a_short_busy_timeout_never_see_a_locked_database(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module, "BUSY_SECONDS", 0.2)  # the connection's busy timeout
    monkeypatch.setattr(runs_module, "BUSY_SECONDS", 0.2)  # the gate's
    url = str(tmp_path / "ida.sqlite")
    store = Store(url)
    ReviewQueue(store).enqueue("r", 1, [(f"q{i}", 0) for i in range(300)])
    assert _drain(url, 20) == []
    assert store.review_progress("r", 1) == (300, 300)
    store.close()


def test_the_gate_is_one_lock_per_file_and_a_held_gate_times_out_as_locked(tmp_path, monkeypatch):
    monkeypatch.setattr(runs_module, "BUSY_SECONDS", 0.05)
    url = tmp_path / "ida.sqlite"
    assert db_module.writer_gate(url) is db_module.writer_gate(tmp_path / "." / "ida.sqlite")
    assert db_module.writer_gate(url) is not db_module.writer_gate(tmp_path / "other.sqlite")
    store = Store(str(url))
    gate = db_module.writer_gate(url)
    gate.acquire()
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            store.create_run("r", "addition", "{}")
    finally:
        gate.release()
    store.create_run("r", "addition", "{}")  # the gate is free again, and the failed write left nothing behind
    assert store.run_row("r")["task"] == "addition"
    store.close()
