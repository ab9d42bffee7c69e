"""The review queue in a real SQLite file and a real PostgreSQL database: atomic leases under 20 threads,
expiry, release, verdict rules."""

import random
import threading
import time

import pytest

from ida.review.queue import WHOLE_EXAMPLE, LeaseError, ReviewQueue
from ida.store import Store


def make_store(store_url) -> Store:
    store = Store(store_url)
    store.create_run("r", "permutation", "{}")
    return store


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.slow
def test_twenty_threads_over_1000_items_never_share_an_item_and_lose_no_verdict(store_url):
    store = make_store(store_url)
    queue = ReviewQueue(store)
    assert queue.enqueue("r", 1, [(f"q{i}", WHOLE_EXAMPLE) for i in range(1000)], overlap=0.2, seed=3) == 1000
    copies = {i["id"]: i["copies"] for i in queue.items()}
    assert sum(c == 2 for c in copies.values()) == 200
    held: dict[int, str] = {}
    lock = threading.Lock()
    submitted: list[tuple[int, str]] = []
    errors: list[str] = []

    def overseer(n: int) -> None:
        me, rng = f"u{n}", random.Random(n)
        q = ReviewQueue(Store(store_url))
        while (lease := q.claim(me)) is not None or q.open_count() > 0:
            if lease is None:  # what is left is leased by others, or judged by me: one may come back (release)
                time.sleep(0.01)
                continue
            with lock:
                if lease.item_id in held:
                    errors.append(f"item {lease.item_id} held by {held[lease.item_id]} and {me}")
                held[lease.item_id] = me
            release = rng.random() < 0.05
            with lock:
                del held[lease.item_id]
            if release:
                q.release(lease.id, me)
                continue
            verdict = rng.choice(["accept", "edit", "reject"])
            q.submit(lease.id, me, verdict, target="3" if verdict == "edit" else None)
            with lock:
                submitted.append((lease.item_id, me))
        q.store.close()

    def guarded(n: int) -> None:  # an exception in a thread would otherwise only print and leave its lease held
        try:
            overseer(n)
        except Exception as err:  # noqa: BLE001 - reported through `errors`
            errors.append(f"u{n}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    verdicts = queue.verdicts()
    assert sorted((v["item_id"], v["user"]) for v in verdicts) == sorted(submitted)  # none lost, none extra
    per_item: dict[int, list[str]] = {}
    for v in verdicts:
        per_item.setdefault(v["item_id"], []).append(v["user"])
    assert {i: len(us) for i, us in per_item.items()} == copies  # exactly as often as its overlap says
    assert all(len(set(us)) == len(us) for us in per_item.values())  # by different overseers
    # From the store itself: an item's leases never overlap in time.
    by_item: dict[int, list[dict]] = {}
    for lease in queue.leases():
        by_item.setdefault(lease["item_id"], []).append(lease)
    for leases in by_item.values():
        leases.sort(key=lambda x: x["claimed"])
        assert all(a["ended"] is not None and a["ended"] <= b["claimed"] for a, b in zip(leases, leases[1:]))
    assert queue.progress("r", 1) == (1200, 1200)
    kinds = [e["kind"] for e in store.events("r")]
    assert kinds.count("verdict") == 1200 and kinds.count("claim") == len(queue.leases())


def test_an_expired_lease_returns_the_item_and_refuses_the_late_verdict(store_url):
    clock = Clock()
    queue = ReviewQueue(make_store(store_url), lease_minutes=5, clock=clock)
    queue.enqueue("r", 1, [("q0", WHOLE_EXAMPLE)])
    alice = queue.claim("alice")
    assert alice.expires - alice.claimed == 300 and queue.claim("bob") is None  # held: nothing for bob
    assert queue.claim("alice").id == alice.id  # claiming again gives back your own lease
    clock.now += 301
    with pytest.raises(LeaseError):
        queue.submit(alice.id, "alice", "accept")
    bob = queue.claim("bob")
    assert bob is not None and bob.item_id == alice.item_id
    queue.submit(bob.id, "bob", "accept", comment="fine")
    events = [(e["actor"], e["kind"]) for e in queue.store.events("r") if e["kind"] != "enqueue"]
    assert events[-4:] == [("alice", "claim"), ("alice", "expire"), ("bob", "claim"), ("bob", "verdict")]
    expire = next(e for e in queue.store.events("r") if e["kind"] == "expire")
    assert expire["payload"]["seconds"] == 300


def test_release_and_verdict_rules(store_url):
    clock = Clock()
    queue = ReviewQueue(make_store(store_url), clock=clock)
    assert queue.enqueue("r", 1, [("q0", WHOLE_EXAMPLE), ("q1", 2)], overlap=1.0) == 2
    assert queue.enqueue("r", 1, [("q0", WHOLE_EXAMPLE), ("q1", 2)], overlap=0.0) == 0  # idempotent
    lease = queue.claim("alice")
    with pytest.raises(LeaseError):
        queue.release(lease.id, "bob")  # not bob's
    clock.now += 12
    queue.release(lease.id, "alice")
    with pytest.raises(LeaseError):
        queue.submit(lease.id, "alice", "accept")  # released: gone
    lease = queue.claim("alice")
    with pytest.raises(ValueError):
        queue.submit(lease.id, "alice", "edit", target="  ")
    with pytest.raises(ValueError):
        queue.submit(lease.id, "alice", "maybe")
    clock.now += 7.5
    got = queue.submit(lease.id, "alice", "edit", target=" 4   5 ", comment="off by one")
    assert got["target"] == "4 5" and got["seconds"] == 7.5
    # Overlap: the same item goes to a second overseer, never back to alice.
    other = queue.claim("alice")
    assert other.item_id != lease.item_id
    queue.submit(other.id, "alice", "reject")
    assert queue.claim("alice") is None
    second = queue.claim("bob")
    assert second.item_id in (lease.item_id, other.item_id)
    release = next(e for e in queue.store.events("r") if e["kind"] == "release")
    assert release["actor"] == "alice" and release["payload"]["seconds"] == 12
