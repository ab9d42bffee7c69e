"""Disputes: two overseers who disagree on an item hold it out of training until an admin decides (the decision
and its note are stored and logged); `majority` / `strictest` settle it by rule instead; the phase result counts
disputes, outcomes and Cohen's kappa."""

from __future__ import annotations

import pytest

from ida.config import load_config
from ida.progress import RunProgress
from ida.reporting.oversight import oversight_rows, oversight_section
from ida.review.disputes import cohen_kappa, disputes
from ida.review.human import human_review
from ida.review.policies import ReviewRequest
from ida.review.queue import LeaseError, ReviewQueue
from ida.store import Store
from ida.tasks import Question, make_task
from review_world import example_row


def _world(tmp_path, n=6):
    store = Store(tmp_path / "ida.sqlite")
    store.create_run("r", "permutation", "{}")
    rows = [example_row(i) for i in range(n)]
    for i, r in enumerate(rows):
        r.question_id = f"q{i}"
    store.finish_phase("r", 1, "amplify", {}, examples=rows)
    rows = store.examples("r", 1)
    questions = {r.question_id: Question(r.question_id, r.graph["nodes"][0]["text"], r.difficulty, "permutation")
                 for r in rows}
    request = ReviewRequest(store, "r", 1, rows, questions, make_task("permutation"), 1, RunProgress(quiet=True), "")
    return store, rows, request


def _cfg(rule):
    return load_config(None, ["review.policy=human", "review.wait=false", "review.overlap=1.0",
                              "review.include_h_only=true", f"review.disputes={rule}"]).review


def _judge(queue, verdicts):
    """alice and bob judge every item; `verdicts(user, question_id)` -> (verdict, target)."""
    for user in ("alice", "bob"):
        while (lease := queue.claim(user)) is not None:
            verdict, target = verdicts(user, lease.question_id)
            queue.submit(lease.id, user, verdict, target=target)


def test_a_dispute_is_held_until_an_admin_decides(tmp_path):
    store, rows, request = _world(tmp_path)
    cfg = _cfg("hold")
    human_review(request, cfg)
    queue = ReviewQueue(store)
    # they disagree on q0 (a wrong edit against a right accept) and agree elsewhere
    _judge(queue, lambda user, q: ("edit", "99") if (user, q) == ("alice", "q0") else ("accept", None))
    reviews, record = human_review(request, cfg)
    by_id = {r.question_id: r for r in reviews}
    assert by_id["q0"].verdict == "held" and by_id["q0"].target is None  # trains on nothing
    assert all(by_id[r.question_id].verdict == "accept" for r in rows[1:])
    assert record["disputes"]["disputes"] == record["disputes"]["held"] == 1
    [dispute] = disputes(queue.verdicts(cycle=1), queue.adjudications(cycle=1))
    assert {v["user"] for v in dispute.verdicts} == {"alice", "bob"} and dispute.decision is None
    with pytest.raises(ValueError, match="note"):
        queue.adjudicate(dispute.item_id, "root", "accept", note=" ")
    queue.adjudicate(dispute.item_id, "root", "accept", note="the edit is wrong: 3 > 5")
    with pytest.raises(LeaseError, match="already"):
        queue.adjudicate(dispute.item_id, "root", "reject", note="again")
    reviews, record = human_review(request, cfg)
    decided = next(r for r in reviews if r.question_id == "q0")
    assert (decided.verdict, decided.target, decided.provenance) == ("accept", rows[0].answer, "verified")
    assert "adjudicated by root" in decided.comment
    assert record["disputes"]["adjudicated"] == 1 and record["disputes"]["decisions"] == {"accept": 1}
    assert any(e["kind"] == "adjudicate" and e["actor"] == "root" for e in store.events("r"))
    [section] = oversight_section(store, "r", [1], "hold")  # the report's view of the same cycle
    assert section["disputes"]["disputes"] == section["disputes"]["adjudicated"] == 1
    assert oversight_rows([section])[0][4:7] == [1, 0, "1 (accept 1)"]


def test_strictest_and_majority_settle_by_rule_and_kappa_measures_agreement(tmp_path):
    store, rows, request = _world(tmp_path)
    human_review(request, _cfg("strictest"))
    queue = ReviewQueue(store)
    _judge(queue, lambda user, q: ("reject", None) if (user, q) == ("bob", "q1") else ("accept", None))
    strict = {r.question_id: r for r in human_review(request, _cfg("strictest"))[0]}
    assert strict["q1"].verdict == "reject"
    majority = {r.question_id: r for r in human_review(request, _cfg("majority"))[0]}
    assert majority["q1"].verdict == "reject"  # a tie of two falls to the strictest
    kappa, n = cohen_kappa(queue.verdicts(cycle=1))
    assert n == len(rows) and kappa is not None and kappa < 1.0
    same = [{**v, "verdict": "accept"} for v in queue.verdicts(cycle=1)]
    assert cohen_kappa(same) == (None, len(rows))  # chance agreement is total: kappa undefined
    flip = [{"item_id": i // 2, "verdict": ("accept", "reject")[(i // 2) % 2]} for i in range(8)]
    assert cohen_kappa(flip) == (1.0, 4)
