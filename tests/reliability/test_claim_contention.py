"""20 processes claim 1000 review items from one SQLite store at once (8 from one PostgreSQL database): every item
is judged exactly once, no item is ever leased to two overseers, no claim fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ida.review.queue import ReviewQueue
from ida.store import Store

pytestmark = pytest.mark.slow  # 20 interpreters start (about 10 s on an idle 2-core machine)

WORKER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from ida.review.queue import ReviewQueue
    from ida.store import Store
    db, user, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    store = Store(db)
    queue = ReviewQueue(store)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    items = []
    while (lease := queue.claim(user)) is not None:
        items.append(lease.item_id)
        if len(items) == 1:  # hold the first lease until another process holds one too: on 2 cores one process
            (go.parent / f"holds-{user}").touch()  # could otherwise drain the queue before the others wake
            deadline = time.time() + 30
            while len(list(go.parent.glob("holds-*"))) < 2 and time.time() < deadline:
                time.sleep(0.005)
        queue.submit(lease.id, user, "accept")
    print(json.dumps(items), flush=True)
""")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("store_url, processes", [("sqlite", 20), ("postgresql", 8)], indirect=["store_url"])
def test_many_processes_claim_a_thousand_items_without_a_double_lease(tmp_path, store_url, processes):
    db = store_url
    store = Store(db)
    store.create_run("r", "permutation", "{}")
    ReviewQueue(store).enqueue("r", 1, [(f"q{i}", 0) for i in range(1000)])
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), f"overseer{i}", str(go)],
                                stdout=subprocess.PIPE, text=True, env=env) for i in range(processes)]
    for w in workers:
        assert w.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    go.touch()
    claimed = [json.loads(w.stdout.readline()) for w in workers]
    seconds = time.perf_counter() - start
    for w in workers:
        assert w.wait(timeout=60) == 0
    flat = [i for items in claimed for i in items]
    assert len(flat) == len(set(flat)) == 1000  # each item judged once, by one overseer
    assert sum(1 for items in claimed if items) >= 2  # they really ran side by side
    leases = store.review_leases()
    assert len(leases) == 1000 and all(lease["outcome"] == "verdict" for lease in leases)
    spans: dict[int, list[tuple[float, float]]] = {}
    for lease in leases:
        spans.setdefault(lease["item_id"], []).append((lease["claimed"], lease["ended"]))
    assert all(len(s) == 1 for s in spans.values())  # never leased twice
    assert len(store.review_verdicts()) == 1000
    store.close()
    print(f"{processes} processes on {store.dialect}, 1000 claims + verdicts: {seconds:.1f} s")
