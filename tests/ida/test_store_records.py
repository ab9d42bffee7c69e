"""`Store.run(run_id)`: the run-scoped tables bound to one run read and write exactly what the unbound calls do,
on a SQLite file and on PostgreSQL; what is not run-scoped is not on the view."""

import gc
import inspect

import pytest

from ida.errors import RunDirError
from ida.store import ExampleRow, RunRecords, Store

RUN = "r"
VOLATILE = {"created", "finished", "ts", "signed_at"}  # stamped with time.time() by the store itself


def clock() -> float:
    return 1000.0


def drive(store: Store, bound: bool) -> dict:
    """The same writes through the view (`bound`) or through the Store with the run id; every run-scoped read
    after them, once each way."""
    records = store.run(RUN)

    def call(name, *args, **kw):
        if bound:
            return getattr(records, name)(*args, **kw)
        if name == "review_undo":  # the one whose run id is not its first argument
            return store.review_undo(args[0], RUN, *args[1:], **kw)
        return getattr(store, name)(RUN, *args, **kw)

    def extra(writer) -> None:
        writer.event("system", "extra", {"k": 1}) if bound else writer.event(RUN, "system", "extra", {"k": 1})

    call("create_run", "permutation", "seed: 3\n")
    row = ExampleRow("q1", 2, "p", "3", "3", graph={"n": 1}, provenance={"model": "M0"})
    call("finish_phase", 1, "amplify", {"examples": 1}, metrics={"student": {2: 0.5}}, examples=[row], also=extra)
    call("finish_phase", 1, "review", {"kept": 1}, examples=[row.reviewed("accept", "3", "verified")])
    call("set_status", "paused", "held for sign-off", pid=7)
    call("event", "alice", "note", {"x": 1})
    call("add_alert", 1, "max_accuracy", "capability", "2", 0.9, 0.5, "too good")
    signoff = call("sign_off", 1, "alice", "expected")
    call("add_alert", 2, "max_accuracy", "capability", "3", 0.95, 0.5, "still too good")
    call("sign_off", 2, "bob", "expected again")
    call("add_alert", 3, "max_accuracy", "capability", "4", 0.97, 0.5, "and again")
    call("reopen_phase", 1, "review", "dataset.jsonl is gone")  # an open review phase: its verdicts may be undone
    queued = call("review_enqueue", 1, [("q1", 0, 1), ("q2", 1, 2, "key", 3.0)], 1000.0)
    lease = store.review_claim("alice", clock, 300.0)
    store.review_submit(lease.id, "alice", "accept", None, "", clock)
    undone = call("review_undo", "alice", clock, 300.0)
    added = call("workspace_enqueue", 1, "M0", [("q3", "text", "prompt", 3), ("q4", "t", "p", 4)], 1000.0)
    reads = {"signoff": signoff, "queued": queued, "undone": undone, "added": added}
    return {**reads, "reads": read(records), "unbound reads": read_unbound(store)}


def read(records: RunRecords) -> dict:
    return {"row": records.run_row(), "reason": records.status_reason(), "amplify": records.phase_result(1, "amplify"),
            "review": records.phase_result(1, "review"), "phases": records.phases(), "examples": records.examples(1),
            "example": records.example(1, "q1"), "metrics": records.metrics(), "student": records.metrics("student"),
            "events": records.events(), "alerts": records.alerts(), "open": records.alerts(3, open_only=True),
            "alerts 2": records.alerts(2),
            "signoffs": records.signoffs(2), "progress": records.review_progress(1),
            "workspaces": records.workspaces(), "workspaces 1": records.workspaces(1),
            "workspace progress": records.workspace_progress(1)}


def read_unbound(store: Store) -> dict:
    return {"row": store.run_row(RUN), "reason": store.status_reason(RUN),
            "amplify": store.phase_result(RUN, 1, "amplify"), "review": store.phase_result(RUN, 1, "review"),
            "phases": store.phases(RUN), "examples": store.examples(RUN, 1), "example": store.example(RUN, 1, "q1"),
            "metrics": store.metrics(RUN), "student": store.metrics(RUN, "student"), "events": store.events(RUN),
            "alerts": store.alerts(RUN), "open": store.alerts(RUN, 3, open_only=True),
            "alerts 2": store.alerts(RUN, 2),
            "signoffs": store.signoffs(RUN, 2), "progress": store.review_progress(RUN, 1),
            "workspaces": store.workspaces(RUN), "workspaces 1": store.workspaces(RUN, 1),
            "workspace progress": store.workspace_progress(RUN, 1)}


def stable(value):
    """`value` without the store's own time stamps (two stores written a moment apart differ only there)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


@pytest.fixture
def second_url(store_url, tmp_path, request) -> str:
    """Another empty store of the same kind as `store_url`."""
    if store_url.endswith(".sqlite"):
        return str(tmp_path / "second.sqlite")
    return request.getfixturevalue("pg_server").fresh_url()


def test_a_bound_view_writes_and_reads_what_the_unbound_calls_do(store_url, second_url):
    unbound, bound = Store(store_url), Store(second_url)
    try:
        via_store, via_view = drive(unbound, bound=False), drive(bound, bound=True)
    finally:
        unbound.close()
        bound.close()
    for side in (via_store, via_view):  # on one store, the view reads exactly what the unbound calls read
        assert side["reads"] == side["unbound reads"]
    assert stable(via_view) == stable(via_store)
    reads = via_view["reads"]  # and the script did write something of every kind
    assert reads["review"] is None and reads["amplify"] == {"examples": 1} and reads["row"]["status"] == "paused"
    assert reads["reason"] == "held for sign-off" and reads["example"].target_provenance == "verified"
    assert [e["kind"] for e in reads["events"]].count("extra") == 1 and "undo" in [e["kind"] for e in reads["events"]]
    assert len(reads["alerts"]) == 3 and len(reads["open"]) == 1 and len(reads["alerts 2"]) == 1
    assert [s["note"] for s in reads["signoffs"]] == ["expected again"]
    assert reads["progress"] == (0, 3) and via_view["undone"].user == "alice" and via_view["added"] == 2
    assert reads["workspace progress"] == (0, 2) and reads["student"] == {1: {"student": {"2": 0.5}}}


def test_what_is_not_run_scoped_is_not_on_the_view_and_the_store_keeps_its_connection(tmp_path):
    store = Store(tmp_path / "ida.sqlite")
    assert not store.has_runs()
    with pytest.raises(RunDirError, match="holds no run"):
        store.run()  # no id: the store's only run, and there is none yet
    records = store.run(RUN)
    records.create_run("permutation", "")
    assert store.has_runs() and store.run().id == RUN
    for name in ("close", "review_claim", "review_items", "account", "add_account", "has_runs", "run",
                 "workspace_claim", "_db", "_transaction"):
        with pytest.raises(AttributeError):
            getattr(records, name)
    with pytest.raises(AttributeError):
        records.extra = 1  # a fixed set of attributes: nothing else can be hung on it
    del records
    gc.collect()
    assert store.run(RUN).run_row()["id"] == RUN  # dropping a view closes nothing
    store.close()


def test_the_view_has_every_run_scoped_store_method_with_the_same_arguments_less_the_run_id():
    def parameters(function, drop: str | None) -> list[tuple]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()
                if p.name not in ("self", drop)]

    scoped = {name for name, f in inspect.getmembers(Store, inspect.isfunction)
              if not name.startswith("_") and name != "run" and "run_id" in inspect.signature(f).parameters}
    public = {name for name, _ in inspect.getmembers(RunRecords, inspect.isfunction) if not name.startswith("_")}
    assert public == scoped and len(scoped) >= 20
    for name in scoped:
        assert parameters(getattr(RunRecords, name), None) == parameters(getattr(Store, name), "run_id"), name
