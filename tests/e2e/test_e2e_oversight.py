"""Issue 21 in headless Chromium, several checks per app start: sessions (no token in any address or link, a
cookie that survives a reload and is logged, revoked at logout), role-aware pages (no admin link for an overseer,
an admin address says "admins only"), the keys after N with auto-claim off, a new item opens at the top, the
Adjudicate page, and on a node-review run the propagation preview and the history's question text."""

from __future__ import annotations

import time

import pytest

from app_server import serve
from ida.accounts import Sessions
from ida.review.queue import ReviewQueue
from ida.store import Store
from review_world import PASSWORDS, make_node_review_run, make_review_run

TIMEOUT = 60_000  # ms; the machine is shared
ANSWER = "Answer (to edit: change it, then Edit)"
pytestmark = pytest.mark.slow


def wait_until(check, timeout=40.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def queue(run_dir) -> ReviewQueue:
    return ReviewQueue(Store(run_dir / "ida.sqlite"))


def login(page, url, name, path=""):
    page.goto(f"{url}/{path}")
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()


def test_sessions_roles_keys_scroll_and_adjudication(tmp_path, browser):
    run_dir = make_review_run(tmp_path, n_items=4, overlap=1.0)
    with serve(run_dir) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        login(page, url, "alice")
        page.get_by_role("heading", name="Review queue").wait_for(timeout=TIMEOUT)
        # no session in any address or link; a cookie keeps it across a reload, and the re-entry is logged
        wait_until(lambda: any(c["name"] == "ida_session" for c in context.cookies()))
        assert "session" not in page.url
        assert page.locator("a[href*='session']").count() == 0
        page.reload()
        page.get_by_role("heading", name="Review queue").wait_for(timeout=TIMEOUT)
        assert "session" not in page.url
        wait_until(lambda: any(e["kind"] == "session_resumed" and e["actor"] == "alice"
                               for e in queue(run_dir).store.events()))
        # role-aware: no admin link, and an admin address says so
        for name in ("Cycles", "Adjudicate", "Reviewers & audit log"):
            assert page.get_by_role("link", name=name).count() == 0
        for path in ("adjudicate", "admin"):
            page.goto(f"{url}/{path}")
            page.get_by_role("heading", name="Admins only").wait_for(timeout=TIMEOUT)
            assert page.get_by_text("This page is for admins").count() == 1
        page.goto(url)
        page.get_by_role("heading", name="Review queue").wait_for(timeout=TIMEOUT)
        # auto-claim off: N claims, then Esc and Ctrl+Enter still work in the answer field
        page.get_by_text("Claim the next item after each verdict").click()
        for round_ in range(2):
            page.get_by_role("heading", name="Review queue").click()
            page.keyboard.press("n")
            box = page.get_by_role("textbox", name=ANSWER)
            box.wait_for(timeout=TIMEOUT)
            lease = wait_until(lambda: queue(run_dir).current("alice"))
            wait_until(lambda: page.evaluate("document.__idaLease") == str(lease.id))  # this item's script ran
            box.fill(str(round_ + 5))
            box.press("Escape")
            assert page.evaluate("document.activeElement.tagName") != "INPUT"
            box.click()
            box.press("Control+Enter")
            mine = wait_until(lambda: [v for v in queue(run_dir).verdicts(user="alice")
                                       if v["item_id"] == lease.item_id])
            assert (mine[0]["verdict"], mine[0]["target"]) == ("edit", str(round_ + 5))
            page.get_by_role("button", name="Claim next item").wait_for(timeout=TIMEOUT)
        # auto-claim on: the next item opens at the top even after scrolling down
        page.get_by_text("Claim the next item after each verdict").click()
        page.get_by_role("button", name="Claim next item").click()
        page.get_by_role("textbox", name=ANSWER).wait_for(timeout=TIMEOUT)
        first = wait_until(lambda: queue(run_dir).current("alice"))
        wait_until(lambda: page.evaluate("document.__idaLease") == str(first.id))  # its page script has run
        page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollTop = 248")
        page.get_by_role("button", name="Accept").click()
        wait_until(lambda: (q := queue(run_dir).current("alice")) and q.item_id != first.item_id)
        wait_until(lambda: page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollTop") == 0,
                   timeout=10)
        # logout revokes the session in the store: the kept cookie opens nothing
        cookie = next(c for c in context.cookies() if c["name"] == "ida_session")
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Log in").wait_for(timeout=TIMEOUT)
        assert Sessions(Store(run_dir.parent / "users.sqlite")).check(cookie["value"]) is None
        stale = browser.new_context()
        stale.add_cookies([cookie])
        again = stale.new_page()
        again.goto(url)
        again.get_by_role("button", name="Log in").wait_for(timeout=TIMEOUT)
        assert again.get_by_role("heading", name="Review queue").count() == 0
        stale.close()
        context.close()
        # bob disagrees with alice on her first item: the admin decides it on the Adjudicate page
        q = queue(run_dir)
        disputed = next(v for v in q.verdicts(user="alice") if v["verdict"] == "edit")
        while (lease := q.claim("bob")) is not None:
            q.submit(lease.id, "bob", "accept" if lease.item_id == disputed["item_id"] else "reject")
            if lease.item_id == disputed["item_id"]:
                break
        admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
        admin = admin_context.new_page()
        login(admin, url, "root", path="adjudicate")
        admin.get_by_role("heading", name="Adjudicate").wait_for(timeout=TIMEOUT)
        admin.get_by_text("alice · edit ·").first.wait_for(timeout=TIMEOUT)
        assert admin.get_by_text("bob · accept ·").count() >= 1
        admin.get_by_role("link", name="Cycles").wait_for(timeout=TIMEOUT)  # an admin has the admin links
        box = admin.locator(f".st-key-dispute-{disputed['item_id']}")
        box.get_by_text("reject", exact=True).click()
        box.get_by_role("textbox", name="Note (why; kept with the decision)").fill("5 is not σ(x); neither is it")
        box.get_by_role("button", name="Record decision").click()
        decided = wait_until(lambda: q.adjudications())
        assert (decided[0]["item_id"], decided[0]["verdict"], decided[0]["user"]) == (disputed["item_id"], "reject",
                                                                                        "root")
        admin.get_by_text("Decided by root").first.wait_for(timeout=TIMEOUT)
        admin_context.close()


def test_node_edit_preview_and_history_text(tmp_path, browser):
    run_dir = make_node_review_run(tmp_path)
    with serve(run_dir) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        login(page, url, "alice")
        page.get_by_role("button", name="Claim next item").click()
        box = page.get_by_role("textbox", name=ANSWER)
        box.wait_for(timeout=TIMEOUT)
        lease = wait_until(lambda: queue(run_dir).current("alice"))
        assert lease.key is not None  # a node item
        box.fill("7" if box.input_value() != "7" else "6")
        page.get_by_role("button", name="Edit").click()
        page.get_by_text("Not saved yet: this edit changes").wait_for(timeout=TIMEOUT)
        assert queue(run_dir).verdicts(user="alice") == []  # the preview saves nothing
        page.get_by_role("button", name="Edit").click()
        wait_until(lambda: queue(run_dir).verdicts(user="alice"))
        page.get_by_role("link", name="My history").click()
        page.get_by_role("heading", name="My history").wait_for(timeout=TIMEOUT)
        text = queue(run_dir).example(lease).graph["nodes"][0]["text"]
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for(timeout=TIMEOUT)
        assert page.get_by_text("subquestion 1", exact=True).count() == 0
        assert text and page.locator("[data-testid='stDataFrame']").count() == 1
        page.close()
