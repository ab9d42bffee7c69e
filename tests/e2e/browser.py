"""Which Chromium the browser tests drive, and installing one when the machine has none, so the README's test
command passes on a fresh machine and a missing browser never silently skips the browser tests.

Lookup order (the first that exists wins):
  1. the IDA_CHROMIUM environment variable (a path; set but missing is an error, not a fallback);
  2. /usr/bin/chromium (Debian's package);
  3. `chromium` or `chromium-browser` on PATH;
  4. Playwright's own Chromium (`python -m playwright install chromium`).
None found: install one, then look again: `apt-get update && apt-get install -y chromium` when running as root
(or with passwordless sudo) on a machine with apt-get; else, or if that fails, `python -m playwright install
chromium`. Only if that fails too: one line saying what to install (a failure, never a skip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEBIAN_CHROMIUM = "/usr/bin/chromium"
ON_PATH = ("chromium", "chromium-browser")
HOW_TO = ("no Chromium for the browser tests: apt-get install -y chromium (Debian/Ubuntu), or "
          "python -m playwright install chromium, or set IDA_CHROMIUM=/path/to/chromium")

Runner = Callable[[Sequence[str]], bool]  # runs a command, says whether it succeeded


class BrowserMissing(RuntimeError):
    """No Chromium, and installing one failed; the message is one line saying what to install."""


def playwright_chromium() -> str | None:
    """The executable of Playwright's own Chromium when it is installed (None when not, or without playwright)."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # noqa: BLE001 (no playwright, or no driver: there is no Playwright browser)
        return None
    return path if path and Path(path).is_file() else None


def find_chromium(env: dict[str, str] | None = None, which: Callable[[str], str | None] = shutil.which,
                  playwright: Callable[[], str | None] = playwright_chromium) -> str | None:
    """The Chromium to drive, by the module's lookup order; None when there is none."""
    env = os.environ if env is None else env
    if explicit := env.get("IDA_CHROMIUM"):
        if not Path(explicit).is_file():
            raise BrowserMissing(f"IDA_CHROMIUM={explicit} is not a file; point it at a Chromium executable or "
                                 "unset it")
        return explicit
    if Path(DEBIAN_CHROMIUM).is_file():
        return DEBIAN_CHROMIUM
    for name in ON_PATH:
        if found := which(name):
            return found
    return playwright()


def install_plans(is_root: bool, has_apt: bool, has_sudo: bool) -> list[list[list[str]]]:
    """Ways to install a Chromium here, best first; each is a list of commands that must all succeed."""
    playwright = [[sys.executable, "-m", "playwright", "install", "chromium"]]
    if has_apt and (is_root or has_sudo):
        prefix = [] if is_root else ["sudo", "-n"]
        apt = [[*prefix, "apt-get", "update", "-qq"], [*prefix, "apt-get", "install", "-y", "-qq", "chromium"]]
        return [apt, playwright]
    return [playwright]


def run_quietly(command: Sequence[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(list(command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=900).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def passwordless_sudo() -> bool:
    return shutil.which("sudo") is not None and run_quietly(["sudo", "-n", "true"])


def ensure_chromium(find: Callable[[], str | None] = find_chromium, run: Runner = run_quietly,
                    is_root: bool | None = None, has_apt: bool | None = None,
                    has_sudo: Callable[[], bool] = passwordless_sudo) -> str:
    """A Chromium executable: found, or installed then found; raises `BrowserMissing` otherwise."""
    if found := find():
        return found
    is_root = (os.geteuid() == 0) if is_root is None else is_root
    has_apt = (shutil.which("apt-get") is not None) if has_apt is None else has_apt
    plans = install_plans(is_root, has_apt, not is_root and has_apt and has_sudo())
    for plan in plans:
        if all(run(command) for command in plan) and (found := find()):
            return found
    tried = "; ".join(" && ".join(" ".join(c) for c in plan) for plan in plans)
    raise BrowserMissing(f"{HOW_TO} (tried: {tried})")
