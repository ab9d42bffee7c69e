"""The review page at 1280x720 in headless Chromium, on the item that needs the most room: a subquestion of an
in-context question (16 facts). Question, subquestion, the evidence, the answer and the three verdict buttons all
lie inside the window without scrolling; the facts the answer does not rest on stay collapsed, and a search among
them finds one. Then the overseer corrects the subanswer and the node item's verdict is in the store."""

import pytest
from app_server import serve
from review_world import PASSWORDS, make_context_review_run
from test_e2e_review import TIMEOUT, login, wait_until

from ida.review.queue import ReviewQueue
from ida.review.view import lease_view
from ida.run import build_task, read_run
from ida.store import Store

pytestmark = pytest.mark.slow  # a real browser (and server) per test: the whole suite, not the fast subset

WIDTH, HEIGHT = 1280, 720


@pytest.fixture(scope="module")
def context_app(tmp_path_factory):
    run_dir = make_context_review_run(tmp_path_factory.mktemp("layout"))
    with serve(run_dir) as url:
        yield url, run_dir


def inside_window(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT and box["x"] >= 0 \
        and box["x"] + box["width"] <= WIDTH


def test_the_item_fits_1280x720_and_the_other_facts_are_collapsed_and_searchable(context_app, browser):
    url, run_dir = context_app
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    login(page, url, "alice", PASSWORDS["alice"])
    page.get_by_role("button", name="Claim next item").click(timeout=TIMEOUT)
    answer = page.get_by_role("textbox", name="Answer (to edit: change it, then Edit)")
    answer.wait_for(timeout=TIMEOUT)
    store = Store(run_dir / "ida.sqlite")
    lease = ReviewQueue(store).current("alice")
    view = lease_view(store, build_task(read_run(run_dir).config), lease, show_truth=True)  # truth: for the test
    store.close()
    assert view.kind == "node" and len(view.evidence) == 2 and len(view.facts) == 16
    codes = page.locator("[data-testid='stCode']")
    shown = [codes.filter(has_text=view.question).first, codes.filter(has_text=view.subquestion).first,
             page.get_by_role("heading", name="Evidence"), codes.filter(has_text=view.evidence[-1]).first, answer,
             *(page.get_by_role("button", name=n) for n in ("Accept", "Edit", "Reject"))]
    for locator in shown:
        locator.wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(1000)  # let the layout settle (the graph and the table come last)
    assert page.evaluate("window.scrollY") == 0
    assert [inside_window(loc) for loc in shown] == [True] * len(shown)
    other = next(f for f in view.facts if f not in view.evidence)
    assert not page.get_by_text(other, exact=True).is_visible()  # collapsed
    page.get_by_text("The other 14 facts in the question's context: search").click()
    page.get_by_role("textbox", name="Search the facts").fill(other)
    page.get_by_role("textbox", name="Search the facts").press("Enter")
    page.get_by_text("1 of 14 facts").wait_for(timeout=TIMEOUT)
    assert codes.filter(has_text=other).first.is_visible()
    assert page.get_by_text("true answer").count() == 0  # the run does not opt in: the page never shows it
    # Node review: correct the subanswer to the subquestion's true answer.
    truth = view.truth
    assert truth is not None and truth != view.answer
    answer.fill(truth)
    page.get_by_role("button", name="Edit").click()
    store = Store(run_dir / "ida.sqlite")
    verdicts = wait_until(lambda: ReviewQueue(store).verdicts(user="alice"))
    item = next(i for i in ReviewQueue(store).items() if i["id"] == verdicts[0]["item_id"])
    store.close()
    assert (item["node"], verdicts[0]["verdict"], verdicts[0]["target"]) == (lease.node, "edit", truth)
    page.close()
