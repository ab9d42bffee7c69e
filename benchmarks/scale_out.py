"""Scale-out figures, side by side in one run:

1. review-queue claims per second (claim + verdict, one process per client), SQLite file vs PostgreSQL database,
   at 1, 4 and 16 clients over the same number of items; printed as PostgreSQL / SQLite ratios;
2. one amplify call of the default task (its 256 train questions, the fresh M_0, greedy) with `amplify.executor`
   local vs ray at 1 and 2 workers (the Ray runtime started once beforehand, as a running cluster would be; its
   start-up is printed apart); printed as ratios against local.

    python benchmarks/scale_out.py                      # about 3 min on 2 cores
    python benchmarks/scale_out.py --items 400 --rounds 2

PostgreSQL: `--pg-url postgresql://...` (an empty database or ?schema=), else a throwaway server from Debian's
binaries (tests/pg_server.py) on loopback, removed at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _client(url: str, user: str, start, counts) -> None:
    from ida.review.queue import ReviewQueue
    from ida.store import Store

    queue = ReviewQueue(Store(url))
    start.wait()
    n = 0
    while (lease := queue.claim(user)) is not None:
        queue.submit(lease.id, user, "accept")
        n += 1
    counts.put(n)


def claims_per_second(url: str, clients: int, items: int) -> float:
    from ida.review.queue import ReviewQueue
    from ida.store import Store

    store = Store(url)
    store.run("r").create_run("permutation", "{}")
    ReviewQueue(store).enqueue("r", 1, [(f"q{i}", 0) for i in range(items)])
    store.close()
    ctx = mp.get_context("spawn")
    start, counts = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(url, f"u{i}", start, counts)) for i in range(clients)]
    for p in procs:
        p.start()
    time.sleep(2.0 + 0.3 * clients)  # every client imported and connected
    t0 = time.perf_counter()
    start.set()
    done = sum(counts.get(timeout=600) for _ in procs)
    seconds = time.perf_counter() - t0
    for p in procs:
        p.join()
    assert done == items, (done, items)
    return items / seconds


def amplify_seconds(executor: str, workers: int) -> float:
    from ida.amplify import Amplifier
    from ida.config import load_config
    from ida.models.local import LocalModel
    from ida.run import build_task

    config = load_config(None, [f"amplify.executor={executor}", f"amplify.ray.num_workers={workers}",
                                "amplify.ray.resources={CPU: 1}"])
    task = build_task(config)
    model = LocalModel.build(config.model, task.vocabulary(), seed=0)
    questions = task.questions("train")
    with Amplifier(config.amplify, task, model) as amp:
        t0 = time.perf_counter()
        amp.amplify(questions)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--pg-url", default=None)
    args = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.node()} · {os.cpu_count()} CPUs · "
          f"python {platform.python_version()}")
    server = None
    if args.pg_url is None:
        from pg_server import start_server

        server = start_server()
    try:
        print(f"\nclaims per second ({args.items} items, claim + verdict), best of {args.rounds}")
        print(f"{'clients':>8} {'sqlite':>9} {'postgres':>9} {'pg/sqlite':>10}")
        for clients in (1, 4, 16):
            rates = {}
            for kind in ("sqlite", "postgres"):
                best = 0.0
                for _ in range(args.rounds):
                    if kind == "sqlite":
                        url = str(Path(tempfile.mkdtemp(prefix="ida-bench-")) / "ida.sqlite")
                    else:
                        base = args.pg_url or server.url
                        url = f"{base}{'&' if '?' in base else '?'}schema=b_{secrets.token_hex(5)}"
                    best = max(best, claims_per_second(url, clients, args.items))
                rates[kind] = best
            print(f"{clients:>8} {rates['sqlite']:>9.0f} {rates['postgres']:>9.0f} "
                  f"{rates['postgres'] / rates['sqlite']:>9.2f}x")
    finally:
        if server is not None:
            server.stop()
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    print(f"\nRay runtime start (local, 2 CPUs): {time.perf_counter() - t0:.1f} s (paid per phase without an address)")
    try:
        print(f"amplify, default task, 256 questions, M_0 greedy: seconds, best of {args.rounds}")
        local = min(amplify_seconds("local", 1) for _ in range(args.rounds))
        print(f"{'local':>10} {local:>7.2f} s {1.0:>6.2f}x")
        for workers in (1, 2):
            t = min(amplify_seconds("ray", workers) for _ in range(args.rounds))
            print(f"{f'ray x{workers}':>10} {t:>7.2f} s {local / t:>6.2f}x  (throughput vs local)")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
