"""Target provenance: every training target says whether a person verified it, it was propagated from a node
verdict, or no one saw it; a whole-example verdict wins over a propagated one; a propagated target is never
stored as a person's verdict; the store keeps it per example and the dataset export carries it."""

from __future__ import annotations

from node_world import make_cycle, make_request, review_cfg

from ida.review.nodes import memo_key, model_nodes
from ida.review.outcome import NodeVerdict, plan_review, provenance_counts, settle
from ida.review.policies import Review
from ida.store import Store

KEY = memo_key("M0", "perm 3 ^ 1 =")


def _users(rows, key):
    return [r.question_id for r in rows if key in {k for _, k in model_nodes(r)}]


def test_a_whole_example_accept_wins_over_a_propagated_node_edit():
    task, rows, questions = make_cycle()
    cfg = review_cfg("review.policy=human", "review.unit=both")
    request = make_request(rows, questions, task)
    plan = plan_review(request, cfg)
    kept, changed = _users(rows, KEY)[:2]
    row = next(r for r in rows if r.question_id == kept)
    own = {kept: Review(kept, "accept", row.answer, "bob", provenance="verified")}
    edit = {KEY: NodeVerdict(KEY, "edit", str(task._world.sigma[3]), "alice")}
    reviews, record = settle(request, cfg, plan, own, edit)
    by_id = {r.question_id: r for r in reviews}
    assert (by_id[kept].verdict, by_id[kept].target, by_id[kept].reviewer) == ("accept", row.answer, "bob")
    assert by_id[kept].provenance == "verified"
    assert by_id[changed].verdict == "propagated" and by_id[changed].provenance == "propagated"
    assert by_id[changed].target == task.true_answer(questions[changed])
    assert not any(r.verdict == "edit" for r in reviews)  # nobody edited a whole example
    assert record["provenance"] == provenance_counts(reviews) and record["provenance"]["verified"] == 1


def test_unreviewed_and_h_only_targets_are_model_provenance():
    task, rows, questions = make_cycle()
    cfg = review_cfg("review.policy=human", "review.unit=example", "review.unreviewed=include")
    request = make_request(rows, questions, task)
    reviews, record = settle(request, cfg, plan_review(request, cfg), {}, {})
    assert reviews and {r.provenance for r in reviews} == {"model"}
    assert record["provenance"]["model"] == len(reviews) and record["verified_wrong"] == 0


def test_the_store_keeps_each_examples_target_provenance(tmp_path):
    task, rows, questions = make_cycle()
    store = Store(tmp_path / "ida.sqlite")
    store.create_run("r", "permutation", "{}")
    store.finish_phase("r", 1, "amplify", {}, examples=rows)
    first, second = store.examples("r", 1)[:2]
    store.finish_phase("r", 1, "review", {}, examples=[first.reviewed("accept", first.answer, "verified"),
                                                        second.reviewed("propagated", "5", "propagated")])
    again = {r.question_id: r for r in Store(tmp_path / "ida.sqlite").examples("r", 1)}
    assert again[first.question_id].target_provenance == "verified"
    assert (again[second.question_id].verdict, again[second.question_id].target_provenance) == ("propagated",
                                                                                                "propagated")


def test_a_node_edit_previews_the_targets_it_will_change_recomputed_by_the_program(tmp_path):
    from ida.review.human import human_review
    from ida.review.preview import target_preview
    from ida.review.queue import ReviewQueue

    task, rows, questions = make_cycle()
    store = Store(tmp_path / "ida.sqlite")
    store.create_run("r", "permutation", "{}")
    store.finish_phase("r", 1, "amplify", {}, examples=rows)
    rows = store.examples("r", 1)
    cfg = review_cfg("review.policy=human", "review.unit=node", "review.wait=false", "review.sampling=uncertainty")
    human_review(make_request(rows, questions, task, store=store), cfg)
    assert cfg.propagate == "preview"
    queue = ReviewQueue(store)
    lease = queue.claim("alice")
    users = set(_users(rows, lease.key))
    sub = next(q for q in questions.values() if q.prompt == json_prompt(lease.key))
    edit = target_preview(store, task, lease, task.true_answer(sub))
    assert {p.question_id for p in edit} == users
    assert all(p.then == task.true_answer(questions[p.question_id]) for p in edit)  # the program's recomputation
    assert any(p.changed for p in edit) and all(p.question for p in edit)
    reject = target_preview(store, task, lease, None)
    assert {p.question_id for p in reject} == users and all(p.then is None for p in reject)
    assert store.review_verdicts() == []  # a preview saves nothing


def json_prompt(key):
    import json

    return json.loads(key)[1]
