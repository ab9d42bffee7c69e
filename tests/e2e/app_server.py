"""`ida review` on a free loopback port for the browser tests. A module of its own name, not conftest.py: other
test folders have a conftest module too, and `from conftest import ...` would find whichever was imported first."""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


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
