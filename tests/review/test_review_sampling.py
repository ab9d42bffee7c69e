"""Sampling rules: seeded, recorded, never storage order; stratified gives each difficulty an equal share,
uncertainty the least confident first; the queue serves items in the sampled order; an older store gains the
queue's new columns."""

from __future__ import annotations

import random
import sqlite3

import pytest
from node_world import make_cycle, make_request, review_cfg

from ida.review.outcome import plan_review
from ida.review.queue import ReviewQueue
from ida.review.sampling import Candidate, budget, sample
from ida.store import Store

CANDS = [Candidate(f"q{i:02d}", difficulty=1 + i % 4, confidence=(i * 37 % 100) / 100) for i in range(40)]


@pytest.mark.parametrize("rule", ["random", "stratified", "uncertainty"])
def test_sampling_is_seeded_and_ignores_storage_order(rule):
    first = sample(CANDS, rule, 0.25, None, seed=7)
    shuffled = CANDS[:]
    random.Random(1).shuffle(shuffled)
    assert [c.id for c in sample(shuffled, rule, 0.25, None, seed=7)] == [c.id for c in first]
    assert len(first) == 10 and [c.id for c in first] != [c.id for c in CANDS[:10]]


def test_random_sampling_depends_on_the_seed():
    assert [c.id for c in sample(CANDS, "random", 0.25, None, 1)] != [c.id for c in sample(CANDS, "random", 0.25,
                                                                                             None, 2)]


def test_stratified_gives_every_difficulty_an_equal_share():
    skewed = [Candidate(f"e{i}", 1, 0.5) for i in range(30)] + [Candidate(f"h{i}", 4, 0.5) for i in range(3)]
    chosen = sample(skewed, "stratified", 0.2, None, seed=0)
    assert len(chosen) == 7 and sum(c.difficulty == 4 for c in chosen) == 3  # all the hard ones, not 1 in 10
    assert [c.difficulty for c in chosen[:6]] == [1, 4] * 3


def test_uncertainty_takes_the_least_confident_first_and_unknown_last():
    cands = CANDS + [Candidate("none", 1, None)]
    chosen = sample(cands, "uncertainty", 1.0, None, seed=0)
    confidences = [c.confidence for c in chosen[:-1]]
    assert confidences == sorted(confidences) and chosen[-1].id == "none"


def test_budget_is_rate_then_quota():
    assert budget(40, 0.1, None) == 4 and budget(40, 0.1, 2) == 2 and budget(5, 1.0, None) == 5
    assert budget(0, 0.5, None) == 0


def test_plan_records_the_rule_and_seed_and_defaults_to_stratified():
    task, rows, questions = make_cycle()
    cfg = review_cfg("review.policy=human", "review.sample_rate=0.5")
    assert cfg.sampling == "stratified" and cfg.unit == "example"
    plan = plan_review(make_request(rows, questions, task, seed=11), cfg)
    record = plan.record["sampling"]["examples"]
    assert record["rule"] == "stratified" and record["seed"] == 11 and record["sampled"] == len(plan.examples)
    assert set(record["per_difficulty"]) == {"2", "3", "4"}  # difficulty 1 is H's own lookup
    again = plan_review(make_request(rows, questions, task, seed=11), cfg)
    assert [r.question_id for r in again.examples] == [r.question_id for r in plan.examples]


def test_the_queue_serves_items_in_the_sampled_order_not_storage_order(tmp_path):
    store = Store(tmp_path / "ida.sqlite")
    queue = ReviewQueue(store)
    order = [f"q{i}" for i in (5, 2, 9, 0, 7)]
    queue.enqueue("r", 1, [(q, 0) for q in order])
    claimed = []
    for _ in order:
        lease = queue.claim("alice")
        claimed.append(lease.question_id)
        queue.submit(lease.id, "alice", "accept")
    assert claimed == order
    assert [i["question_id"] for i in queue.items(cycle=1)] == order


def test_an_older_store_gains_the_new_queue_columns(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE review_items (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL,"
                   " question_id TEXT NOT NULL, node INTEGER NOT NULL, copies INTEGER NOT NULL, done INTEGER NOT NULL"
                   " DEFAULT 0, lease_id INTEGER, created REAL NOT NULL, UNIQUE (run_id, cycle, question_id, node))")
        db.execute("INSERT INTO review_items (run_id, cycle, question_id, node, copies, created)"
                   " VALUES ('r', 1, 'old', 0, 1, 0)")
    store = Store(path)
    [item] = store.review_items()
    assert item["key"] is None and item["priority"] == 0
    assert ReviewQueue(store).claim("alice").question_id == "old"
