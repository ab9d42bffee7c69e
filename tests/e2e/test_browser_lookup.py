"""The browser tests find a Chromium by the documented order and install one where the machine has none (no real
install here: the installer is given a recording runner). Needs no browser itself."""

from __future__ import annotations

import sys

import pytest

from browser import DEBIAN_CHROMIUM, BrowserMissing, ensure_chromium, find_chromium, install_plans

NOWHERE = lambda name: None  # noqa: E731 (no chromium on PATH)
NO_PLAYWRIGHT = lambda: None  # noqa: E731


@pytest.fixture
def no_debian(monkeypatch):
    """Pretend /usr/bin/chromium is absent (the Path check is the only use of it)."""
    import browser

    monkeypatch.setattr(browser, "DEBIAN_CHROMIUM", "/nonexistent/chromium")


def test_ida_chromium_wins_and_a_wrong_one_is_an_error(tmp_path):
    exe = tmp_path / "my-chromium"
    exe.write_text("")
    assert find_chromium({"IDA_CHROMIUM": str(exe)}, NOWHERE, NO_PLAYWRIGHT) == str(exe)
    with pytest.raises(BrowserMissing, match="IDA_CHROMIUM=.*is not a file"):
        find_chromium({"IDA_CHROMIUM": str(tmp_path / "missing")}, NOWHERE, NO_PLAYWRIGHT)


def test_then_debian_then_path_then_playwright(tmp_path, no_debian, monkeypatch):
    import browser

    on_path = lambda name: f"/opt/bin/{name}" if name == "chromium-browser" else None  # noqa: E731
    assert find_chromium({}, on_path, lambda: "/pw/chrome") == "/opt/bin/chromium-browser"
    assert find_chromium({}, NOWHERE, lambda: "/pw/chrome") == "/pw/chrome"
    assert find_chromium({}, NOWHERE, NO_PLAYWRIGHT) is None
    debian = tmp_path / "chromium"
    debian.write_text("")
    monkeypatch.setattr(browser, "DEBIAN_CHROMIUM", str(debian))
    assert find_chromium({}, on_path, lambda: "/pw/chrome") == str(debian)


def test_install_plans_apt_as_root_or_with_sudo_else_playwright():
    apt_root, playwright = install_plans(is_root=True, has_apt=True, has_sudo=False)
    assert apt_root == [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]]
    assert playwright == [[sys.executable, "-m", "playwright", "install", "chromium"]]
    assert install_plans(is_root=False, has_apt=True, has_sudo=True)[0][0][:3] == ["sudo", "-n", "apt-get"]
    assert install_plans(is_root=False, has_apt=True, has_sudo=False) == [playwright]
    assert install_plans(is_root=True, has_apt=False, has_sudo=False) == [playwright]


def test_a_missing_browser_is_installed_then_found():
    ran, installed = [], []

    def run(command):
        ran.append(list(command))
        installed.append(command[-1] == "chromium" and "install" in command)
        return True

    found = ensure_chromium(find=lambda: "/usr/bin/chromium" if any(installed) else None, run=run, is_root=True,
                            has_apt=True)
    assert found == "/usr/bin/chromium"
    assert ran == [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]]


def test_apt_failing_falls_back_to_playwright_and_both_failing_is_one_line():
    ran = []

    def run(command):
        ran.append(list(command))
        return command[0] != "apt-get"  # no network for apt; playwright "installs" but finds nothing

    with pytest.raises(BrowserMissing) as err:
        ensure_chromium(find=lambda: None, run=run, is_root=True, has_apt=True)
    assert ran[0] == ["apt-get", "update", "-qq"] and ran[-1][-3:] == ["playwright", "install", "chromium"]
    message = str(err.value)
    assert "\n" not in message and "apt-get install -y chromium" in message and "playwright install" in message


def test_a_found_browser_installs_nothing():
    assert ensure_chromium(find=lambda: DEBIAN_CHROMIUM, run=lambda c: pytest.fail(f"ran {c}")) == DEBIAN_CHROMIUM
