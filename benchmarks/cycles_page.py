"""The oversight app's cycles page: seconds from the click to the chart, on its first visit in a fresh app process
and on a later one, for this code against the app before this change's review-page work (commit e2c5e69, from
`git archive`), side by side in one run, alternating. (A background import of pandas and altair while the first
visitor logs in was tried and measured here: 0.94 s against 0.92 s for the old
code, no gain, so it was taken out.)

    python benchmarks/cycles_page.py              # 2 rounds: about 2 min on 2 cores
    python benchmarks/cycles_page.py --rounds 4

Each side starts its own `ida review` (its own code first on PYTHONPATH, run from a temp folder so the checkout is
not imported instead) over the same small finished run (2 cycles, made by the old code so both can read its
config), logs in as an admin in headless Chromium (Debian's /usr/bin/chromium, or IDA_CHROMIUM) and opens the
cycles page twice. Goal (issue 13): the cycles page opens in under 2 s.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from ida.accounts.users import Users
from ida.store import Store

OLD_COMMIT = "e2c5e69"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
CHART = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


def old_tree(dest: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "ida", "decomposition", "oversight_ui"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def ida(code: Path, cwd: Path, *argv: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(code)}
    return subprocess.Popen([sys.executable, "-m", "ida.cli", *argv], env=env, cwd=cwd, **popen)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def visits(code: Path, tmp: Path, run_dir: Path, users_db: Path, browser) -> tuple[float, float]:
    """(first, later) seconds from the click on "Cycles" to the chart, in a fresh `ida review` of `code`."""
    port = free_port()
    server = ida(code, tmp, "review", str(run_dir), "--port", str(port), "--users-db", str(users_db),
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        page.get_by_role("textbox", name="User name").fill("root")
        page.get_by_role("textbox", name="Password").fill("root-password-1")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Review queue").wait_for(timeout=60_000)
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            page.get_by_role("link", name="Cycles").click()
            page.locator(CHART).first.wait_for(timeout=60_000)
            seconds.append(time.perf_counter() - start)
            page.get_by_role("link", name="Review queue").click()
            page.get_by_role("heading", name="Review queue").wait_for(timeout=60_000)
        page.close()
        return seconds[0], seconds[1]
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"# cycles_page · {platform.machine()}, {os.cpu_count()} cores · old = {OLD_COMMIT} · load average "
          f"{os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        old = old_tree(tmp / "old")
        runs = tmp / "runs"
        made = ida(old, tmp, "run", "--quiet", "--run-dir", str(runs), "--set", "max_cycles=2", "--set",
                   "distill.steps=30", "--set", "eval.baseline=false", stdout=subprocess.DEVNULL)
        if made.wait() != 0:
            raise SystemExit("the old code could not make the run")
        [run_dir] = [p for p in runs.iterdir() if not p.name.startswith(".")]
        users_db = tmp / "users.sqlite"
        Users(Store(users_db)).add("root", "admin", "root-password-1")
        times: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("IDA_CHROMIUM", "/usr/bin/chromium"),
                                        args=ARGS)
            for r in range(args.rounds):
                for side, code in (("old", old), ("new", ROOT)):
                    first, later = visits(code, tmp, run_dir, users_db, browser)
                    times[side].append((first, later))
                    print(f"round {r + 1} · {side}: first visit {first:.2f} s, later visit {later:.2f} s", flush=True)
            browser.close()
    mean = {side: tuple(sum(t[i] for t in v) / len(v) for i in (0, 1)) for side, v in times.items()}
    print("| code | first visit (s) | later visit (s) | first visit, ratio to old |")
    print("|---|---|---|---|")
    for side in ("old", "new"):
        first, later = mean[side]
        print(f"| {side} | {first:.2f} | {later:.2f} | {first / mean['old'][0]:.2f} |")


if __name__ == "__main__":
    main()
