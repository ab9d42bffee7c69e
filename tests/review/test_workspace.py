"""The human as H: workspaces in a real store (claim, validation, only the lease holder writes, expiry keeps the
subquestions, events), and a real run with `amplify.decomposer=human` that waits for an overseer (a thread here)
and trains on the workspace's answer."""

import functools
import json
import threading
import time

import pytest

from ida.amplify import AmplifyContext
from ida.config import load_config
from ida.cycle import execute
from ida.progress import RunProgress
from ida.review.workspace import InputError, Limits, Workspaces, model_answerer, plan_of
from ida.run import start_run
from ida.store import Store, WorkspaceError
from ida.tasks import make_task
from tests.tiny import tiny

QUESTION = "perm 3 ^ 4"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def desk(tmp_path):
    store = Store(tmp_path / "ida.sqlite")
    store.create_run("r1", "permutation", "{}")
    store.workspace_enqueue("r1", 1, "M0", [("q1", QUESTION, f"{QUESTION} =", 4)], 0.0)
    clock = Clock()
    yield Workspaces(store, minutes=5, limits=Limits(max_subquestions=3, max_depth=2, max_chars=40), clock=clock)
    store.close()


def echo(prompt: str) -> str:
    return f"<b>{len(prompt)}</b>"  # model text: kept as text, whatever it holds


def test_claim_ask_finish_and_events(desk):
    ws = desk.claim("alice")
    assert ws.text == QUESTION and ws.holder == "alice"
    assert desk.claim("bob") is None  # the only workspace is alice's
    first = desk.ask(ws.id, "alice", "perm 3 ^ 2", echo)
    assert (first.position, first.asked, first.answer) == (1, "perm 3 ^ 2", echo("perm 3 ^ 2 ="))
    second = desk.ask(ws.id, "alice", "perm #1 ^ 2", echo)
    assert second.asked == f"perm {first.answer} ^ 2"  # the reference filled with the earlier answer
    desk.finish(ws.id, "alice", " 5 ", task=make_task("permutation", form="weights", seed=0, n_items=8, max_k=4))
    done = desk.get(ws.id)
    assert done.answer == "5" and done.finished_by == "alice" and done.holder is None
    assert plan_of(done) == {"subquestions": [{"id": 1, "text": "perm 3 ^ 2", "depends_on": []},
                                              {"id": 2, "text": "perm #1 ^ 2", "depends_on": [1]}]}
    kinds = [e["kind"] for e in desk.store.events()]
    assert kinds.count("workspace_ask") == 2 and "workspace_claim" in kinds and "workspace_answer" in kinds
    with pytest.raises(WorkspaceError, match="finished"):
        desk.ask(ws.id, "alice", "perm 1 ^ 1", echo)


@pytest.mark.parametrize("text, reason", [
    ("", "write the subquestion"),
    ("a\x00b", "NUL"),
    ("x" * 41, "more than the allowed 40"),
    ("perm #1 ^ 1", "refers to its own answer"),
    ("perm #2 ^ 1", "no answer exists yet"),
    ("PERM 3 ^ 4?", "repeats the question"),
])
def test_bad_subquestions_change_nothing(desk, text, reason):
    ws = desk.claim("alice")
    asked = []
    with pytest.raises(InputError, match=reason):
        desk.ask(ws.id, "alice", text, lambda p: asked.append(p) or "1")
    assert asked == [] and desk.get(ws.id).steps == ()


def test_a_reference_typed_wrong_or_to_a_garbage_answer_is_refused_with_a_clear_message(desk):
    task = make_task("permutation", form="weights", seed=0, n_items=8, max_k=4)
    ws = desk.claim("alice")
    desk.ask(ws.id, "alice", "perm 3 ^ 2", lambda p: "= = = = =", task=task)  # an untrained model's answer
    asked = []
    with pytest.raises(InputError, match=r"#1 refers to the model's answer '= = = = =', which is not a usable"):
        desk.ask(ws.id, "alice", "perm #1 ^ 2", lambda p: asked.append(p) or "1", task=task)
    for typo in ("perm # 1 ^ 2", "perm #one ^ 2"):
        with pytest.raises(InputError, match="as #N with no space, e.g. #1"):
            desk.ask(ws.id, "alice", typo, lambda p: asked.append(p) or "1", task=task)
    assert asked == [] and len(desk.get(ws.id).steps) == 1


def test_later_reference_count_and_depth(desk):
    ws = desk.claim("alice")
    desk.ask(ws.id, "alice", "perm 3 ^ 1", echo)
    with pytest.raises(InputError, match="#3, a later answer"):
        desk.ask(ws.id, "alice", "perm #3 ^ 1", echo)
    desk.ask(ws.id, "alice", "perm #1 ^ 1", echo)
    with pytest.raises(InputError, match="longest chain"):  # max_depth=2: #1 -> #2 -> #3 is too deep
        desk.ask(ws.id, "alice", "perm #2 ^ 1", echo)
    desk.ask(ws.id, "alice", "perm 0 ^ 1", echo)
    with pytest.raises(InputError, match="the most allowed"):
        desk.ask(ws.id, "alice", "perm 1 ^ 1", echo)
    assert len(desk.get(ws.id).steps) == 3


def test_only_the_lease_holder_writes_and_expiry_keeps_the_work(desk):
    ws = desk.claim("alice")
    desk.ask(ws.id, "alice", "perm 3 ^ 2", echo)
    for write in (lambda: desk.ask(ws.id, "bob", "perm 1 ^ 1", echo), lambda: desk.finish(ws.id, "bob", "1"),
                  lambda: desk.release(ws.id, "bob")):
        with pytest.raises(WorkspaceError, match="alice holds this workspace"):
            write()
    assert len(desk.get(ws.id).steps) == 1 and desk.get(ws.id).answer is None
    desk.clock.now += 5 * 60 + 1  # alice's lease runs out
    with pytest.raises(WorkspaceError, match="ran out"):
        desk.ask(ws.id, "alice", "perm 1 ^ 1", echo)
    again = desk.claim("bob")
    assert again.id == ws.id and [s.text for s in again.steps] == ["perm 3 ^ 2"]  # the work is kept
    assert any(e["kind"] == "workspace_expired" and e["actor"] == "alice" for e in desk.store.events())
    with pytest.raises(InputError, match="not an item"):
        desk.finish(ws.id, "bob", "thirty one", task=make_task("permutation", form="weights", seed=0, n_items=8))
    assert desk.get(ws.id).answer is None


TINY = tiny("distill.steps=3", "distill.batch_size=4", "max_cycles=1", "eval.baseline=false", "eval.amplified=false",
            "amplify.decomposer=human", "review.workspaces=2", "review.poll_seconds=0.05")


def overseer(run, stop: threading.Event, errors: list, answer) -> None:
    try:
        _overseer(run, stop, answer)
    except Exception as err:  # the test fails on it instead of waiting forever
        errors.append(err)
        raise


def _overseer(run, stop: threading.Event, answer) -> None:
    """Claims each workspace, asks the model two subquestions (the second refers to the first) and answers."""
    store = Store(run.dir / "ida.sqlite")
    desk = Workspaces(store, limits=Limits())
    while not stop.is_set():
        ws = desk.claim("alice")
        if ws is None:
            time.sleep(0.05)
            continue
        x = ws.text.split()[1]
        desk.ask(ws.id, "alice", f"perm {x} ^ 1", answer)
        desk.ask(ws.id, "alice", "perm #1 ^ 1", answer)
        desk.finish(ws.id, "alice", "7")
    store.close()


@pytest.mark.slow
def test_a_run_waits_for_the_workspaces_and_trains_on_them(tmp_path, monkeypatch):
    run = start_run(load_config(None, TINY), tmp_path, RunProgress(quiet=True))
    stop, errors = threading.Event(), []
    answer = model_answerer(run.dir, 1, "M0")  # as the app does (loaded here: transformers loads one at a time)
    thread = threading.Thread(target=overseer, args=(run, stop, errors, answer), daemon=True)
    thread.start()

    def sleep(seconds):
        assert not errors, errors
        time.sleep(seconds)

    monkeypatch.setattr("ida.cycle.AmplifyContext", functools.partial(AmplifyContext, sleep=sleep))
    try:
        assert execute(run) == "finished"
    finally:
        stop.set()
        thread.join(timeout=30)
    finished = [w for w in run.store.workspaces(run.id, 1) if w.finished]
    assert len(finished) == 2
    rows = {r.question_id: r for r in run.store.examples(run.id, 1) if r.answer not in (None, "?")}
    assert set(rows) == {w.question_id for w in finished}
    row = rows[finished[0].question_id]
    assert row.answer == "7" and row.provenance["overseer"] == "H:human"
    nodes = row.graph["nodes"]
    assert [n["text"] for n in nodes[1:]] == [finished[0].steps[0].asked, finished[0].steps[1].asked]
    assert [n["answer"] for n in nodes[1:]] == [s.answer for s in finished[0].steps]  # M0 replayed: same answers
    dataset = [json.loads(x) for x in (run.dir / "cycle-1" / "dataset.jsonl").read_text().splitlines()]
    assert sorted(d["question_id"] for d in dataset) == sorted(rows) and {d["target"] for d in dataset} == {"7"}
    demos = [json.loads(x) for x in (run.dir / "cycle-1" / "demonstrations.jsonl").read_text().splitlines()]
    assert len(demos) == 2 and demos[0]["plan"]["subquestions"][1]["depends_on"] == [1]
    assert (run.dir / "cycle-1" / "checkpoint").exists()  # distilled on it
