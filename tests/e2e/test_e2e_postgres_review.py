"""`ida review --store postgresql://...`: two app processes on two ports serve one run from its PostgreSQL store
alone (no run dir, accounts in the same store); two overseers in headless Chromium, one on each app, claim at the
same moment and get different items, and what they do lands in the store."""

import subprocess
import sys

import pytest
from app_server import free_port, wait_healthy
from review_world import PASSWORDS, example_row
from test_e2e_review import TIMEOUT, logged_in, wait_until

from ida.accounts import Users
from ida.config import dump_config, load_config
from ida.review.queue import WHOLE_EXAMPLE, ReviewQueue
from ida.store import Store

pytestmark = pytest.mark.slow  # a real browser (and server) per test: the whole suite, not the fast subset


def make_pg_review_run(url: str, n_items: int = 6) -> None:
    config = load_config(None, ["review.policy=human", "max_cycles=1", f"store.url={url}"])
    store = Store(url)
    store.create_run("r1", "permutation", dump_config(config))
    rows = [example_row(i) for i in range(n_items)]
    store.finish_phase("r1", 1, "amplify", {"examples": n_items}, examples=rows)
    ReviewQueue(store).enqueue("r1", 1, [(r.question_id, WHOLE_EXAMPLE) for r in rows])
    Users(store).add("alice", "overseer", PASSWORDS["alice"])
    Users(store).add("bob", "overseer", PASSWORDS["bob"])
    store.close()


@pytest.fixture(scope="module")
def two_apps(pg_server):
    url = pg_server.fresh_url()
    make_pg_review_run(url)
    procs, bases = [], []
    for _ in range(2):
        port = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "ida.cli", "review", "--store", url, "--port",
                                       str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, proc in zip(bases, procs):
            wait_healthy(base, proc)
        yield url, bases
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


def test_two_apps_on_one_postgres_run_never_hand_out_one_item_twice(two_apps, browser):
    url, bases = two_apps
    pages = []
    for name, base in zip(("alice", "bob"), bases):
        page = browser.new_context().new_page()
        logged_in(page, base, name)
        pages.append(page)
    for page in pages:  # both click before either waits
        page.get_by_role("button", name="Claim next item").click()
    for page in pages:
        page.get_by_role("textbox", name="Answer (to edit: change it, then Edit)").wait_for(timeout=TIMEOUT)
    queue = ReviewQueue(Store(url))
    alice, bob = queue.current("alice"), queue.current("bob")
    assert alice and bob and alice.item_id != bob.item_id
    pages[0].get_by_role("button", name="Accept").click()
    wait_until(lambda: len(ReviewQueue(Store(url)).verdicts()) == 1)
    [verdict] = ReviewQueue(Store(url)).verdicts()
    assert (verdict["user"], verdict["item_id"], verdict["verdict"]) == ("alice", alice.item_id, "accept")
    for page in pages:
        page.context.close()


def test_a_store_that_cannot_be_reached_is_one_line(tmp_path):
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "ida.cli", "review", "--store",
                           f"postgresql://ida@127.0.0.1:{port}/ida"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "cannot connect" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
