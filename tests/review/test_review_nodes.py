"""Node review: node items are deduplicated by memo key, an edit recomposes and a reject drops exactly the graphs
that used the subanswer (recorded per verdict), the simulated overseer reviews nodes, the human queue holds one
item per memo key, the reviewer's view shows evidence and confidence but never the truth unless opted in."""

from __future__ import annotations

import math

from node_world import ScriptedModel, make_cycle, make_request, review_cfg

from decomposition import Answer
from ida.review.human import human_review
from ida.review.nodes import h_only, memo_key, model_nodes, node_items
from ida.review.outcome import plan_review
from ida.review.policies import simulated_review
from ida.review.propagate import propagate
from ida.review.queue import ReviewQueue
from ida.review.view import item_view, lease_node_item, lease_view
from ida.store import Store

KEY = memo_key("M0", "perm 3 ^ 1 =")


def _users(rows, key):
    return {r.question_id for r in rows if key in {k for _, k in model_nodes(r)}}


def test_node_items_are_one_per_memo_key_with_every_use():
    task, rows, _ = make_cycle()
    items = node_items(rows)
    assert len({i.key for i in items}) == len(items)
    [item] = [i for i in items if i.key == KEY]
    assert item.answer != str(task._world.sigma[3]) and item.text == "perm 3 ^ 1"
    assert set(item.question_ids) == _users(rows, KEY) and len(item.question_ids) >= 2
    assert math.isclose(item.confidence, math.exp(-2.0))
    assert all(u.node != 0 for i in items for u in i.uses)
    assert all(not any(r.question_id in i.question_ids for i in items) for r in rows if h_only(r))


def test_an_edit_recomposes_exactly_the_graphs_that_used_it_and_records_them():
    task, rows, questions = make_cycle()
    truth = str(task._world.sigma[3])
    changes, record = propagate(rows, {KEY: truth}, task.decompose, questions)
    assert set(changes) == _users(rows, KEY)
    for qid, change in changes.items():
        assert change.answer == task.true_answer(questions[qid]) and change.keys == (KEY,)
        [corrected] = [n for n in change.graph["nodes"] if n["prompt"] == "perm 3 ^ 1 ="]
        assert corrected["answer"] == truth and corrected["answered_by"] == "overseer"
    [entry] = record
    before = {r.question_id: r.answer for r in rows}
    assert entry["verdict_item"] == KEY and entry["verdict"] == "edit"
    assert set(entry["question_ids"]) == {q for q in changes if changes[q].answer != before[q]} != set()


def test_a_reject_drops_the_graphs_that_used_it():
    task, rows, questions = make_cycle()
    changes, [entry] = propagate(rows, {KEY: None}, task.decompose, questions)
    assert set(changes) == _users(rows, KEY) == set(entry["question_ids"])
    assert all(c.answer is None and c.graph is None for c in changes.values())


def test_a_subquestion_never_asked_goes_to_the_fallback_or_drops_the_graph():
    task, rows, questions = make_cycle()
    # perm 3 ^ 2 asked perm 3 ^ 1 (wrong: w), then perm w ^ 1; corrected, H asks perm sigma(3) ^ 1, never asked
    only = [r for r in rows if questions[r.question_id].text == "perm 3 ^ 2"]
    truth = str(task._world.sigma[3])
    dropped, _ = propagate(only, {KEY: truth}, task.decompose, questions)
    model = ScriptedModel(task, set())
    recomposed, _ = propagate(only, {KEY: truth}, task.decompose, questions, fallback=lambda v: model)
    [qid] = [r.question_id for r in only]
    assert model.asked == [f"perm {truth} ^ 1 ="]
    assert dropped[qid].answer is None and recomposed[qid].answer == task.true_answer(questions[qid])


def test_simulated_overseer_reviews_nodes_and_fixes_every_target_built_on_them():
    task, rows, questions = make_cycle()
    cfg = review_cfg("review.policy=simulated", "review.unit=node", "review.sampling=uncertainty")
    reviews, record = simulated_review(make_request(rows, questions, task), cfg)
    assert record["unit"] == "node" and record["sampling"]["nodes"]["rule"] == "uncertainty"
    assert {p["verdict_item"] for p in record["propagated"]} == {KEY, memo_key("M0", "perm 5 ^ 2 =")}
    assert record["propagated_count"] > 0 and record["wrong_trained"] == 0
    assert record["wrong_caught"] == record["wrong_targets"] > 0
    trained = [r for r in reviews if r.verdict not in ("reject", "dropped")]
    assert trained and all(r.target == task.true_answer(questions[r.question_id]) for r in trained)
    # an overseer who is always wrong rejects the right subanswers: their graphs are dropped
    noisy = cfg.model_copy(update={"error_rate": 1.0})
    noisy_reviews, record = simulated_review(make_request(rows, questions, task), noisy)
    assert {p["verdict"] for p in record["propagated"]} == {"reject"}
    assert sum(r.verdict not in ("reject", "dropped") for r in noisy_reviews) < len(trained)
    dropped = [r for r in noisy_reviews if r.verdict == "dropped"]
    assert dropped and all(r.provenance == "propagated" for r in dropped)  # never a person's reject


def test_human_node_queue_holds_one_item_per_key_and_a_verdict_propagates(tmp_path):
    task, rows, questions = make_cycle()
    store = Store(tmp_path / "ida.sqlite")
    store.create_run("r", "permutation", "{}")
    store.finish_phase("r", 1, "amplify", {}, examples=rows)
    rows = store.examples("r", 1)
    cfg = review_cfg("review.policy=human", "review.unit=node", "review.wait=false", "review.sampling=uncertainty")
    request = make_request(rows, questions, task, store=store)
    human_review(request, cfg)
    queue = ReviewQueue(store)
    items = queue.items(cycle=1)
    assert len(items) == len(node_items(rows)) and all(i["key"] for i in items)
    lease = queue.claim("alice")
    assert lease.key in (KEY, memo_key("M0", "perm 5 ^ 2 ="))  # least confident first
    node = lease_node_item(store, lease)
    assert node.key == lease.key and (lease.question_id, lease.node) == (node.first.question_id, node.first.node)
    view = lease_view(store, task, lease)
    assert view.kind == "node" and view.truth is None and math.isclose(view.confidence, math.exp(-2.0))
    assert set(view.used_by) == set(node.question_ids) and view.evidence
    true = task.true_answer(next(q for q in questions.values() if q.prompt == node.prompt))
    queue.submit(lease.id, "alice", "edit", target=true)
    reviews, record = human_review(request, cfg)
    [entry] = record["propagated"]
    assert entry["verdict_item"] == lease.key and set(entry["question_ids"]) <= set(node.question_ids)
    fixed = {r.question_id: r for r in reviews if r.verdict == "propagated"}
    assert set(fixed) == set(node.question_ids) and all(r.reviewer == "alice" for r in fixed.values())
    # a propagated target is never stored as a person's verdict on the example
    assert all(r.provenance == "propagated" for r in fixed.values()) and not any(r.verdict == "edit" for r in reviews)
    assert record["provenance"]["propagated"] == len(fixed) and record["provenance"]["verified"] == 0


def test_view_shows_evidence_and_confidence_and_the_truth_only_when_opted_in():
    task, rows, questions = make_cycle()
    assert review_cfg().show_truth is False
    row = next(r for r in rows if r.question_id in _users(rows, KEY))
    node = next(n["id"] for n, k in model_nodes(row) if k == KEY)
    hidden = item_view(task, row, node, rows=rows)
    sigma = task._world.sigma
    assert hidden.truth is None and hidden.subquestion == "perm 3 ^ 1" and hidden.evidence == [f"3 > {sigma[3]}"]
    assert hidden.key == KEY and set(hidden.used_by) == _users(rows, KEY)
    shown = item_view(task, row, node, show_truth=True, rows=rows)
    assert shown.truth == str(sigma[3])
    whole = item_view(task, row)
    assert whole.kind == "example" and whole.truth is None
    assert whole.evidence == task.evidence(questions[row.question_id])
    assert math.isclose(whole.confidence, math.exp(-2.0))


def test_h_only_examples_are_not_reviewed_unless_asked():
    task, rows, questions = make_cycle()
    alone = {r.question_id for r in rows if h_only(r)}
    assert alone
    plan = plan_review(make_request(rows, questions, task), review_cfg("review.policy=human"))
    assert plan.h_only == alone and not alone & {r.question_id for r in plan.examples}
    plan = plan_review(make_request(rows, questions, task), review_cfg("review.include_h_only=true"))
    assert not plan.h_only and alone <= {r.question_id for r in plan.examples}


def test_unit_both_interleaves_examples_and_nodes_in_the_queue():
    task, rows, questions = make_cycle()
    plan = plan_review(make_request(rows, questions, task), review_cfg("review.unit=both", "review.quota=3"))
    keys = plan.queue_keys()
    assert len(keys) == 6 and [len(k) for k in keys] == [2, 3, 2, 3, 2, 3]
    assert Answer  # the scripted model's answers are real `Answer`s
