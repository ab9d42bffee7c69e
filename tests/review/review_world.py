"""A small run dir for the oversight app's tests: a store with one cycle of amplified examples (real graphs),
their whole-example items queued, and two accounts beside it (alice: overseer, root: admin)."""

from __future__ import annotations

import math
from pathlib import Path

from decomposition.graph import SubquestionGraph
from ida.config import dump_config, load_config
from ida.review.queue import WHOLE_EXAMPLE, ReviewQueue
from ida.store import ExampleRow, Store
from ida.accounts.users import Users
from ida.tasks import Question

PASSWORDS = {"alice": "alice-password", "bob": "bob-password-1", "root": "root-password"}
HOSTILE = "<script>window.pwned=1</script>**bold**"  # model text that must stay text


def example_row(i: int, hostile: bool = False) -> dict:
    text = f"perm {i} ^ 2"
    graph = SubquestionGraph(text, f"{text} =")
    first = graph.add_node(f"perm {i} ^ 1")
    graph.set_answer(first, str((i + 1) % 8), "M0")
    second = graph.add_node(f"perm {(i + 1) % 8} ^ 1", depends_on=[first])
    graph.set_answer(second, HOSTILE if hostile else str((i + 2) % 8), "M0")
    answer = HOSTILE if hostile else str((i + 2) % 8)
    graph.set_answer(graph.root, answer, "H")
    return ExampleRow(f"permutation:w:perm_{i}_^_2", 2, f"{text} =", answer, str((i + 2) % 8), graph.to_json(),
                      {"model_version": "M0", "overseer": "H:program"})


def make_review_run(root: Path, n_items: int = 6, overlap: float = 0.0, hostile_first: bool = False) -> Path:
    """`root/runs/r1` with `n_items` queued examples of cycle 1; accounts in `root/runs/users.sqlite`."""
    run_dir = root / "runs" / "r1"
    run_dir.mkdir(parents=True)
    config = load_config(None, ["review.policy=human", "max_cycles=1"])
    (run_dir / "config.yaml").write_text(dump_config(config))
    store = Store(run_dir / "ida.sqlite")
    store.create_run("r1", "permutation", dump_config(config))
    rows = [example_row(i, hostile=hostile_first and i == 0) for i in range(n_items)]
    store.finish_phase("r1", 1, "amplify", {"examples": n_items}, examples=rows)
    ReviewQueue(store).enqueue("r1", 1, [(r.question_id, WHOLE_EXAMPLE) for r in rows], overlap=overlap)
    store.close()
    users = Store(root / "runs" / "users.sqlite")
    accounts = Users(users)
    accounts.add("alice", "overseer", PASSWORDS["alice"])
    accounts.add("bob", "overseer", PASSWORDS["bob"], email="bob@example.org")
    accounts.add("root", "admin", PASSWORDS["root"], email="root@example.org")
    users.close()
    return run_dir


def make_context_review_run(root: Path) -> Path:
    """`root/runs/c1`: permutation in the in-context form (16 facts per question), one example of difficulty 4
    whose graph asks `perm x ^ 2` twice, queued as its second subquestion (a node item) and then as a whole."""
    from ida.run import build_task

    run_dir = root / "runs" / "c1"
    run_dir.mkdir(parents=True)
    config = load_config(None, ["task.form=context", "review.policy=human", "review.unit=both", "max_cycles=1"])
    (run_dir / "config.yaml").write_text(dump_config(config))
    task = build_task(config)
    q = next(q for q in task.questions("train") if q.difficulty == 4)
    x = q.text.split()[1]
    graph = SubquestionGraph(q.text, q.prompt)
    first = graph.add_node(f"perm {x} ^ 2")
    mid = task.true_answer(Question(q.id, f"perm {x} ^ 2", 2, q.task, q.context))
    graph.set_answer(first, mid, "M0", logprobs=[math.log(0.97)])
    second = graph.add_node(f"perm {mid} ^ 2", depends_on=[first])
    graph.set_answer(second, "0", "M0", logprobs=[math.log(0.41)])
    graph.set_answer(graph.root, "0", "H", status="direct")
    row = ExampleRow(q.id, 4, q.prompt, "0", task.true_answer(q), graph.to_json(),
                     {"model_version": "M0", "overseer": "H:program"})
    store = Store(run_dir / "ida.sqlite")
    store.create_run("c1", "permutation", dump_config(config))
    store.finish_phase("c1", 1, "amplify", {"examples": 1}, examples=[row])
    ReviewQueue(store).enqueue("c1", 1, [(q.id, second), (q.id, WHOLE_EXAMPLE)])
    store.close()
    users = Store(root / "runs" / "users.sqlite")
    Users(users).add("alice", "overseer", PASSWORDS["alice"])
    users.close()
    return run_dir


def make_workspace_run(root: Path, questions: int = 1) -> Path:
    """`root/runs/w1`: amplify.decomposer=human, a tiny real M0 checkpoint, `questions` workspaces of cycle 1."""
    from ida.models.local import LocalModel
    from ida.tasks import make_task

    run_dir = root / "runs" / "w1"
    run_dir.mkdir(parents=True)
    config = load_config(None, ["amplify.decomposer=human", "task.params={n_items: 8, max_k: 4}", "model.n_layer=1",
                                "model.n_embd=32", "model.n_head=2", "max_cycles=1"])
    (run_dir / "config.yaml").write_text(dump_config(config))
    task = make_task("permutation", form="weights", seed=config.task.seed, n_items=8, max_k=4)
    LocalModel.build(config.model, task.vocabulary(), seed=0).save(run_dir / "cycle-0" / "checkpoint")
    store = Store(run_dir / "ida.sqlite")
    store.create_run("w1", "permutation", dump_config(config))
    qs = [q for q in task.questions("train") if q.difficulty == 4][:questions]
    store.workspace_enqueue("w1", 1, "M0", [(q.id, q.text, q.prompt, q.difficulty) for q in qs], 0.0)
    store.close()
    users = Store(root / "runs" / "users.sqlite")
    for name in ("alice", "bob"):
        Users(users).add(name, "overseer", PASSWORDS[name])
    users.close()
    return run_dir


def logged_in(name: str, role: str) -> dict:
    """The app's session state for `name` with a live server-side session (IDA_USERS_DB names the store)."""
    import os

    from ida.accounts import Sessions, User
    from ida.store import Store

    sid = Sessions(Store(os.environ["IDA_USERS_DB"])).open(User(name, role), "test", "password")  # type: ignore
    return {"name": name, "role": role, "method": "password", "sid": sid}


def make_node_review_run(root: Path) -> Path:
    """`root/runs/n1`: permutation (8 items, max_k 4, seed 5) with node review: one cycle of real amplified
    examples (a scripted M0 wrong on two subquestions, `node_world`), its node items queued least confident first,
    and the accounts beside it."""
    from ida.progress import RunProgress
    from ida.review.human import human_review
    from ida.review.policies import ReviewRequest
    from node_world import make_cycle

    run_dir = root / "runs" / "n1"
    run_dir.mkdir(parents=True)
    config = load_config(None, ["review.policy=human", "max_cycles=1", "review.unit=node", "review.wait=false",
                                "review.sampling=uncertainty", "task.seed=5", "task.params={n_items: 8, max_k: 4}"])
    (run_dir / "config.yaml").write_text(dump_config(config))
    store = Store(run_dir / "ida.sqlite")
    store.create_run("n1", "permutation", dump_config(config))
    task, rows, questions = make_cycle()
    store.finish_phase("n1", 1, "amplify", {"examples": len(rows)}, examples=rows)
    request = ReviewRequest(store, "n1", 1, store.examples("n1", 1), questions, task, 3, RunProgress(quiet=True), "")
    human_review(request, config.review)
    store.close()
    _accounts(root)
    return run_dir


def _accounts(root: Path) -> None:
    users = Store(root / "runs" / "users.sqlite")
    accounts = Users(users)
    accounts.add("alice", "overseer", PASSWORDS["alice"])
    accounts.add("bob", "overseer", PASSWORDS["bob"], email="bob@example.org")
    accounts.add("root", "admin", PASSWORDS["root"], email="root@example.org")
    users.close()
