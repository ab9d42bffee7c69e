"""Browser tests: `ida review` on a free loopback port, driven by Playwright in headless Chromium. Which Chromium,
and installing one on a machine without any, is `browser.py`'s job (IDA_CHROMIUM, /usr/bin/chromium, chromium on
PATH, Playwright's own; else apt-get or `playwright install`)."""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import BrowserMissing, ensure_chromium  # noqa: E402
from review_world import make_review_run  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ida review exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the app at {url} did not come up in {timeout} s")


@contextlib.contextmanager
def serve(run_dir: Path):
    """The base URL of `ida review run_dir` on a free loopback port, stopped afterwards."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ida.cli", "review", str(run_dir), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()  # `ida review` exec'd into streamlit: this pid is the server
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


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
