"""The `human` review policy: a cycle waits for verdicts given through the queue API (from another thread), and
the distilled dataset holds the edited answers and none of the rejected examples; sampling, quota and the
unreviewed rule; enqueueing is idempotent so a resumed review phase waits for the same items."""

import json
import threading
import time

from ida.config import load_config
from ida.cycle import execute
from ida.run import start_run
from ida.progress import RunProgress
from ida.review.human import UNREVIEWED, human_review
from ida.review.nodes import h_only
from ida.review.policies import ReviewRequest
from ida.review.queue import ReviewQueue
from ida.store import Store
from ida.tasks import Question, make_task
from review_world import example_row
from tests.tiny import tiny

TINY = tiny("distill.steps=5", "distill.batch_size=16", "max_cycles=1", "eval.baseline=false", "eval.amplified=false",
            "review.policy=human", "review.poll_seconds=0.05", "review.sample_rate=0.5", "review.overlap=0.25",
            "review.include_h_only=true", "review.disputes=strictest")


def overseers(db_path, stop: threading.Event, log: dict) -> None:
    """Two overseers judge every queued item: the first item of each is rejected, then one edit each, then
    accepts (the overlap items get a verdict from both)."""
    store = Store(db_path)
    queue = ReviewQueue(store)
    while not stop.is_set():
        progress = False
        for user in ("alice", "bob"):
            lease = queue.claim(user)
            if lease is None:
                continue
            progress = True
            mine = [k for k, (u, _) in log.items() if u == user]
            if not mine:
                queue.submit(lease.id, user, "reject", comment="wrong")
                log[lease.question_id, user] = (user, "reject")
            elif len(mine) == 1:
                queue.submit(lease.id, user, "edit", target=" 7 ")
                log[lease.question_id, user] = (user, "edit")
            else:
                queue.submit(lease.id, user, "accept")
                log[lease.question_id, user] = (user, "accept")
        if not progress:
            time.sleep(0.02)
    store.close()


def test_cycle_waits_for_human_verdicts_and_trains_on_them(tmp_path):
    run = start_run(load_config(None, TINY), tmp_path, RunProgress(quiet=True))
    stop, log = threading.Event(), {}
    thread = threading.Thread(target=overseers, args=(run.dir / "ida.sqlite", stop, log))
    thread.start()
    try:
        execute(run)
    finally:
        stop.set()
        thread.join()
    result = run.store.phase_result(run.id, 1, "review")
    queue = ReviewQueue(run.store)
    items = queue.items(cycle=1)
    assert result["queued"] == len(items) > 0 and result["human_verdicts"] == result["verdicts_wanted"]
    assert sum(i["copies"] for i in items) == len(log) == result["verdicts_wanted"]
    rejected = {q for (q, _), (_, v) in log.items() if v == "reject"}
    edited = {q for (q, _), (_, v) in log.items() if v == "edit"} - rejected  # a reject wins over an edit
    assert rejected and edited
    dataset = [json.loads(line) for line in (run.dir / "cycle-1" / "dataset.jsonl").read_text().splitlines()]
    by_question = {d["question_id"]: d for d in dataset}
    assert not rejected & set(by_question)
    assert all(by_question[q]["target"] == "7" for q in edited)
    # Unsampled usable examples are excluded by default: the dataset is exactly the non-rejected reviewed ones
    # (M_0 is untrained: nearly every usable example is one H answered alone, queued here by include_h_only).
    assert set(by_question) == {i["question_id"] for i in items} - rejected
    assert any(h_only(r) for r in run.store.examples(run.id, 1) if r.question_id in by_question)
    assert result["train_examples"] == len(dataset) and result["unreviewed"] > 0
    assert run.store.phase_result(run.id, 1, "distill")["train_examples"] == len(dataset)
    assert any(e["kind"] == "review_wait" for e in run.store.events(run.id))


def request(store, rows, seed=1):
    questions = {r.question_id: Question(r.question_id, r.graph["nodes"][0]["text"], r.difficulty, "permutation")
                 for r in rows}
    return ReviewRequest(store, "r", 1, rows, questions, make_task("permutation"), seed, RunProgress(quiet=True), "")


def make_store(tmp_path, n=20):
    store = Store(tmp_path / "ida.sqlite")
    store.create_run("r", "permutation", "{}")
    rows = [example_row(i) for i in range(n)]
    for i, r in enumerate(rows):
        r.question_id = f"q{i}"
    rows[3].answer = None  # failed: never queued, never trained on
    store.finish_phase("r", 1, "amplify", {}, examples=rows)
    return store, store.examples("r", 1)


def test_without_waiting_the_unreviewed_rule_decides(tmp_path):
    store, rows = make_store(tmp_path)
    cfg = load_config(None, ["review.policy=human", "review.wait=false", "review.sample_rate=0.5",
                             "review.quota=4"]).review
    reviews, info = human_review(request(store, rows), cfg)
    assert info["queued"] == 4 and reviews == [] and info["unreviewed"] == 19
    queue = ReviewQueue(store)
    lease = queue.claim("alice")
    queue.submit(lease.id, "alice", "edit", target="3")
    include = cfg.model_copy(update={"unreviewed": "include"})
    reviews, info = human_review(request(store, rows), include)
    assert len(queue.items(cycle=1)) == 4  # idempotent: the same sample, nothing queued twice
    assert len(reviews) == 19 and info["unreviewed"] == 18
    [edit] = [r for r in reviews if r.reviewer != UNREVIEWED]
    assert (edit.question_id, edit.verdict, edit.target, edit.reviewer) == (lease.question_id, "edit", "3", "alice")
    assert all(r.verdict == "accept" and r.target == row.answer
               for r, row in zip([r for r in reviews if r.reviewer == UNREVIEWED],
                                 [row for row in rows if row.question_id not in ("q3", lease.question_id)]))
