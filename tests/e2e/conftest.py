"""Browser tests: `ida review` on a free loopback port, driven by Playwright in headless Chromium. Which Chromium,
and installing one on a machine without any, is `browser.py`'s job (IDA_CHROMIUM, /usr/bin/chromium, chromium on
PATH, Playwright's own; else apt-get or `playwright install`)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_server import serve  # noqa: E402
from browser import BrowserMissing, ensure_chromium  # noqa: E402
from review_world import make_review_run  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture(scope="module")
def review_app(tmp_path_factory):
    """(base URL, run dir) of a running `ida review` over a small queued run."""
    run_dir = make_review_run(tmp_path_factory.mktemp("e2e"), n_items=8, hostile_first=True)
    with serve(run_dir) as url:
        yield url, run_dir


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; installed here when the machine has none. A failure, never a skip: CI must not
    pass with the browser tests silently left out."""
    try:
        return ensure_chromium()
    except BrowserMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()
