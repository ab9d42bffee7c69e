"""End to end in headless Chromium: the human as H (a real `ida run` with amplify.decomposer=human waits while an
overseer claims the question, asks the model two subquestions, sees its answers and answers; the run then trains
on it; a second overseer meanwhile gets nothing to write to), and a verdict given after the lease ran out during
an edit is kept (with Esc leaving the field and Ctrl+Enter submitting it)."""

import json
import subprocess
import sys
import time

import pytest

from app_server import free_port, wait_healthy
from ida.accounts.users import Users
from ida.store import Store
from review_world import PASSWORDS
from test_e2e_review import TIMEOUT, claim, logged_in, queue, wait_until

RUN = ["task.params={n_items: 8, max_k: 4}", "model.n_layer=1", "model.n_embd=32", "model.n_head=2",
       "distill.steps=3", "distill.batch_size=4", "max_cycles=1", "eval.baseline=false", "eval.amplified=false",
       "amplify.decomposer=human", "review.workspaces=1", "review.poll_seconds=0.2"]


@pytest.fixture
def human_run(tmp_path):
    """(app URL, run dir, the `ida run` process) of a run waiting for its one workspace."""
    runs = tmp_path / "runs"
    runs.mkdir()
    users = Store(runs / "users.sqlite")
    for name in ("alice", "bob"):
        Users(users).add(name, "overseer", PASSWORDS[name])
    users.close()
    args = [a for o in RUN for a in ("--set", o)]
    run = subprocess.Popen([sys.executable, "-m", "ida.cli", "run", "--run-dir", str(runs), "--quiet", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs = [run]
    try:
        # a run under its final name is whole; `.<id>.tmp` is one still starting (its store may hold no run yet)
        run_dir = wait_until(lambda: next((p for p in runs.iterdir()
                                           if not p.name.startswith(".") and (p / "ida.sqlite").exists()), None), 120)
        wait_until(lambda: (s := Store(run_dir / "ida.sqlite")).workspaces(s.run_row()["id"]), 180)
        port = free_port()
        app = subprocess.Popen([sys.executable, "-m", "ida.cli", "review", str(run_dir), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(app)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, app)
        yield url, run_dir, run
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def dataframe_text(page) -> str:
    return page.locator("[data-testid='stTable']").first.inner_text()


@pytest.mark.slow
def test_the_human_as_h_and_the_run_trains_on_it(human_run, browser):
    url, run_dir, run = human_run
    store = Store(run_dir / "ida.sqlite")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    logged_in(page, url, "alice")
    page.get_by_role("link", name="Decompose (H)").click()
    page.get_by_role("button", name="Claim a question").click()
    sub = page.get_by_role("textbox", name="Subquestion #1")
    sub.wait_for(timeout=TIMEOUT)
    ws = store.workspace_current("alice", time.time())
    x = ws.text.split()[1]
    other = browser.new_context().new_page()  # a second overseer at the same time: nothing to claim
    logged_in(other, url, "bob")
    other.get_by_role("link", name="Decompose (H)").click()
    other.get_by_role("button", name="Claim a question").click()
    other.get_by_text("No question waits for decomposition right now.").wait_for(timeout=TIMEOUT)
    sub.fill(f"perm {x} ^ 1")
    page.get_by_role("button", name="Ask the model").click()
    page.get_by_role("textbox", name="Subquestion #2").fill(f"perm {x} ^ 2")  # M_0's #1 is no answer to refer to
    page.get_by_role("button", name="Ask the model").click()
    page.get_by_role("textbox", name="Subquestion #3").wait_for(timeout=TIMEOUT)
    steps = store.workspace(ws.id).steps
    assert len(steps) == 2 and steps[1].asked == f"perm {x} ^ 2"
    shown = dataframe_text(page)
    assert all(s.answer in shown for s in steps)  # the model's answers are on the page
    page.get_by_role("textbox", name="Final answer to the question").fill("5")
    page.get_by_role("button", name="Submit the final answer").click()
    assert run.wait(timeout=240) == 0, run.stdout.read()
    dataset = [json.loads(x) for x in (run_dir / "cycle-1" / "dataset.jsonl").read_text().splitlines()]
    assert [(d["question_id"], d["target"]) for d in dataset] == [(ws.question_id, "5")]
    assert (run_dir / "cycle-1" / "checkpoint").exists()
    other.context.close()
    page.close()


@pytest.mark.slow
def test_a_verdict_after_the_lease_ran_out_during_an_edit_is_kept(review_app, browser):
    url, run_dir = review_app
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    logged_in(page, url, "bob")
    box = claim(page)
    lease = queue(run_dir).current("bob")
    box.fill("3")  # typing ...
    q = queue(run_dir)
    q.clock = lambda: time.time() + 3600
    q.expire()  # ... while the lease runs out
    wait_until(lambda: page.evaluate("!!document.__idaKeys"), 20)  # the page's key handler is in
    page.keyboard.press("Escape")  # Esc leaves the field
    assert page.evaluate("document.activeElement.tagName") != "INPUT"
    comment = page.get_by_role("textbox", name="Comment (optional)")
    comment.fill("typed after the lease ran out")
    comment.press("Control+Enter")  # Ctrl+Enter submits the edit
    [v] = wait_until(lambda: [v for v in queue(run_dir).verdicts(user="bob") if v["item_id"] == lease.item_id])
    assert (v["target"], v["comment"]) == ("3", "typed after the lease ran out")
    page.close()
