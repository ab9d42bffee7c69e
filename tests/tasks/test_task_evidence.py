"""`Task.evidence`: the facts a reviewer needs. For every built-in task, in both forms: the evidence is made of
the world's facts (the context's, in the in-context form), the true answer can be computed from the evidence
alone, and the evidence of every subquestion H asks lies inside the question's own (the lookups H makes appear)."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from test_task_properties import FORMS, NAMES, SETTINGS, _tasks

from ida.tasks import Question, WorldTask, make_task


def _from_evidence(task: WorldTask, q: Question, facts: list[str]) -> str | None:
    """The answer of `q` computed from `facts` only (None where the task's answer is not a function of them)."""
    words = q.text.split()
    pairs = [f.split() for f in facts]
    if task.name == "permutation":
        sigma = {int(p[0]): int(p[2]) for p in pairs}
        x = int(words[1])
        for _ in range(int(words[3])):
            x = sigma[x]
        return str(x)
    if task.name == "union_find":
        parent = {int(p[0]): int(p[2]) for p in pairs if p[1] == ">"}
        value = {int(p[0]): int(p[2]) for p in pairs if p[1] == "="}
        x, depth = int(words[1]), 0
        while x in parent:
            x, depth = parent[x], depth + 1
        return str(value[x] if words[0] == "value" else depth)
    if task.name == "wildcard":
        return str(sum(int(p[-1]) for p in pairs))
    if task.name == "assignments":
        table = {(p[1], p[2]): p[4] for p in pairs if p[0] == "f"}
        defs = {p[0]: p[2:] for p in pairs if p[0] != "f"}

        def value(v: str) -> str:
            rhs = defs[v]
            return rhs[0] if len(rhs) == 1 else table[(value(rhs[0]), value(rhs[1]))]
        return value(words[1])
    assert task.name == "shortest_path"
    out: dict[int, list[int]] = {}
    for p in pairs:
        out.setdefault(int(p[0]), []).append(int(p[2]))
    a, b = int(words[1]), int(words[2])
    if words[0] == "next":
        return None
    dist, queue = {a: 0}, deque([a])
    while queue:
        u = queue.popleft()
        for v in out.get(u, []):
            if v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    if words[0] == "dist":
        return str(dist[b])
    return "yes" if b in dist and dist[b] <= int(words[3]) else "no"


def _subquestions(task: WorldTask, q: Question) -> list[Question]:
    """Every subquestion H asks for `q` when fed true answers."""
    asked, program = [], task.decompose(q)
    try:
        batch = next(program)
        while True:
            asked += batch
            batch = program.send([task.true_answer(s) for s in batch])
    except StopIteration:
        return asked


def _world_facts(task: WorldTask, q: Question) -> set[str]:
    return set(q.context) if q.context else set(task._facts(task._world))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", NAMES)
def test_evidence_is_facts_that_give_the_answer_and_cover_hs_lookups(name, form):
    @SETTINGS
    @given(_tasks(name, form))
    def check(task):
        for q in task.questions("train")[:40]:
            evidence = task.evidence(q)
            assert evidence and len(evidence) == len(set(evidence))
            facts = {f for f in evidence if not f.startswith("f ")}  # assignments' table lines are H's own
            assert facts <= _world_facts(task, q)
            computed = _from_evidence(task, q, evidence)
            assert computed is None or computed == task.true_answer(q)
            if name == "shortest_path":
                a = q.text.split()[1]
                assert {f"{a} > {c}" for c in task._world_of(q)[0].out[int(a)]} <= set(evidence)
                continue
            for sub in _subquestions(task, q):
                assert set(task.evidence(sub)) <= set(evidence), (q.text, sub.text)
    check()


def test_permutation_evidence_is_the_path_of_lookups():
    task = make_task("permutation", n_items=8, max_k=4, seed=3)
    sigma = task._world.sigma
    q = next(q for q in task.questions("train") if q.text == "perm 5 ^ 3")
    x1, x2 = sigma[5], sigma[sigma[5]]
    assert task.evidence(q) == [f"5 > {x1}", f"{x1} > {x2}", f"{x2} > {sigma[x2]}"]


def test_context_form_evidence_comes_from_the_context_only():
    task = make_task("union_find", form="context", n_train=4, seed=1)
    for q in task.questions("train"):
        assert set(task.evidence(q)) <= set(q.context) and len(task.evidence(q)) < len(q.context)
