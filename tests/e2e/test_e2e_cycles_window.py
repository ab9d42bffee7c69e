"""The cycles page shows each cycle's curriculum window (issue 23): an admin logs in and reads it."""

import pytest

from ida.store import Store
from review_world import PASSWORDS, make_review_run
from app_server import serve

TIMEOUT = 45_000  # ms; the machine is shared


def add_evaluated_cycle(run_dir, cycle: int, window: dict, filters: dict) -> None:
    store = Store(run_dir / "ida.sqlite")
    store.finish_phase("r1", cycle, "amplify", {"examples": 4, "window": window, "filters": filters})
    store.finish_phase("r1", cycle, "distill", {"train_examples": 4, "train_steps": 10, "seconds": 1.0})
    store.finish_phase("r1", cycle, "evaluate", {"seconds": 1.0},
                       metrics={"student": {1: 1.0, 2: 0.5}, "amplified": {1: 1.0, 2: 1.0}})
    store.close()


@pytest.mark.slow  # an app start of its own: about 45 s on a loaded machine
def test_the_cycles_page_shows_the_window_per_cycle(tmp_path, browser):
    run_dir = make_review_run(tmp_path, n_items=2)
    add_evaluated_cycle(run_dir, 2, {"kind": "frontier", "low": 1, "high": 2, "estimated_frontier": 1,
                                     "probe": {"1": 1.0, "2": 0.3}}, {"truncated": {"kept": 3, "dropped": 1}})
    with serve(run_dir) as url:
        page = browser.new_page()
        page.goto(f"{url}/cycles")
        page.get_by_role("textbox", name="User name").fill("root")
        page.get_by_role("textbox", name="Password").fill(PASSWORDS["root"])
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Capability per cycle").wait_for(timeout=TIMEOUT)
        line = page.locator("p", has_text="Curriculum window")
        line.wait_for(timeout=TIMEOUT)
        assert "cycle 2: 1..2 (F 1)" in line.inner_text()
        page.close()
