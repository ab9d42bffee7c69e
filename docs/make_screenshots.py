"""Screenshots of the oversight app for the README, from a real run dir:

    python docs/make_screenshots.py runs/<id>        # writes docs/review-page.png and docs/cycles-page.png
    python docs/make_screenshots.py runs/<id> --workspace   # a run with amplify.decomposer=human waiting for its
                                                            # workspaces: writes docs/workspace-page.png

Starts `ida review` on a free loopback port with a throwaway admin account (its own users file), logs in with
headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), claims an item, and captures the review
and cycles pages. It also prints how long the app takes for each step of one review.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from ida.store import Store
from ida.accounts.users import Users

DOCS = Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def main(run_dir: Path, workspace: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        users_db = Path(tmp) / "users.sqlite"
        Users(Store(users_db)).add("reviewer", "admin", "screenshot-pass")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "ida.cli", "review", str(run_dir), "--port", str(port),
                                 "--users-db", str(users_db)])
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.3)
            shoot_workspace(url) if workspace else shoot(url)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def shoot(url: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})  # the size the review page is built for
        page.goto(url)
        page.get_by_role("textbox", name="User name").fill("reviewer")
        page.get_by_role("textbox", name="Password").fill("screenshot-pass")
        t = time.perf_counter()
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Review queue").wait_for(timeout=60_000)
        print(f"log in -> queue page: {time.perf_counter() - t:.2f} s")
        answer = page.get_by_role("textbox", name="Answer (to edit: change it, then Edit)")
        if page.get_by_role("button", name="Claim next item").count():
            t = time.perf_counter()
            page.get_by_role("button", name="Claim next item").click()
            answer.wait_for(timeout=60_000)
            print(f"claim -> item shown: {time.perf_counter() - t:.2f} s")
        page.locator("[data-testid='stGraphVizChart'] svg").wait_for(timeout=60_000)
        time.sleep(1.5)
        page.screenshot(path=str(DOCS / "review-page.png"))
        page.get_by_role("link", name="Cycles").click()
        page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
            timeout=120_000)
        time.sleep(2)
        page.screenshot(path=str(DOCS / "cycles-page.png"))
        browser.close()
    print(f"wrote {DOCS / 'review-page.png'} and {DOCS / 'cycles-page.png'}")


def shoot_workspace(url: str) -> None:
    """Claim a question on the Decompose page, ask two subquestions (the second uses #1), capture the page."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/workspace")
        page.get_by_role("textbox", name="User name").fill("reviewer")
        page.get_by_role("textbox", name="Password").fill("screenshot-pass")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Claim a question").click(timeout=60_000)
        question = page.locator("[data-testid='stCode']").first
        question.wait_for(timeout=60_000)
        x = question.inner_text().split()[1]
        for n, text in ((1, f"perm {x} ^ 2"), (2, "perm #1 ^ 2")):
            page.get_by_role("textbox", name=f"Subquestion #{n}").fill(text)
            t = time.perf_counter()
            page.get_by_role("button", name="Ask the model").click()
            page.get_by_role("textbox", name=f"Subquestion #{n + 1}").wait_for(timeout=120_000)
            print(f"ask #{n} -> the model's answer shown: {time.perf_counter() - t:.2f} s")
        time.sleep(1.5)
        page.screenshot(path=str(DOCS / "workspace-page.png"))
        browser.close()
    print(f"wrote {DOCS / 'workspace-page.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), workspace="--workspace" in sys.argv[2:])
