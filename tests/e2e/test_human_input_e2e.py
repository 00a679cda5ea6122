"""Answering the agents in a real browser: one box for a reply, and code approval as a choice.

One studio serves the whole module (a stored template asks before running code).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from studio.spec import load_bundled_template
from studio.store import Actor, Store

from .conftest import ARTIFACTS, TALL_VIEWPORT, StudioServer

LOCAL = Actor.local()

BUBBLES = '[data-testid="stChatMessage"]'
CHAT_BOX = '[data-testid="stChatInputTextArea"]'
APPROVING = "Approve first"


@pytest.fixture(scope="module")
def studio_with_approval(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    folder = tmp_path_factory.mktemp("human-input")
    document = load_bundled_template("code_assistant").to_dict()
    document["name"] = APPROVING
    document["agents"][0]["code_execution"]["approve"] = True
    store = Store.open(data_dir=folder / "data")
    store.save_template(LOCAL, APPROVING, document, description="Asks before running code.")
    store.close()
    server = StudioServer(folder / "data", folder / "studio.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def studio_page(page: Page, studio_with_approval: StudioServer,
                request: pytest.FixtureRequest) -> Iterator[Page]:
    page.set_default_timeout(30_000)
    page.goto(f"{studio_with_approval.url}/playground")
    page.get_by_role("heading", name="Playground").first.wait_for()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name.replace("/", "_")
        page.set_viewport_size(TALL_VIEWPORT)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.server.log").write_text(studio_with_approval.log_tail(400))


def start(page: Page, template: str, task: str) -> None:
    """Run ``template`` on the Demo model with ``task`` (a sample task: its rehearsed script)."""
    page.get_by_role("combobox", name="Template").click()
    page.get_by_role("option", name=template, exact=True).click()
    expect(page.get_by_role("combobox", name="Template")).to_have_value(template)
    expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile("Demo"))
    # the task box follows the template: while the page redraws, the box of the template
    # shown before may still be there beside the new one
    page.wait_for_function("(sel) => document.querySelectorAll(sel).length === 1",
                           arg=".st-key-task_input textarea", timeout=60_000)
    page.locator(".st-key-task_input textarea").fill(task)
    page.locator(".st-key-run_button button").click()
    expect(page).to_have_url(re.compile(r"[?&]run=[0-9a-f]+"))


def waiting(page: Page) -> Any:
    return page.get_by_text(re.compile(r"^\W*Waiting for you")).first


def text_boxes(page: Page) -> int:
    """Visible places to type an answer in the page's main area (the run's editable task
    above the transcript aside)."""
    return page.locator('[data-testid="stMain"]').locator(
        "input[type=text]:visible, textarea:visible").and_(
        page.locator(':not([aria-label="Task"])')).count()


def test_the_typed_reply_is_what_is_sent(studio_page: Page) -> None:
    page = studio_page
    start(page, "Human in the loop", load_bundled_template("human_in_the_loop").sample_tasks[0])
    expect(waiting(page)).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Your turn").first).to_be_visible()
    box = page.locator(CHAT_BOX)
    expect(box).to_be_visible()  # drawn with the page's next refresh
    assert text_boxes(page) == 1, "one box to type the reply into"
    box.fill("Please mention the Wednesday demo.")
    box.press("Enter")
    bubbles = page.locator(BUBBLES)
    mine = bubbles.filter(has_text=re.compile(r"you\s*→\s*assistant"))
    expect(mine.filter(has_text="Please mention the Wednesday demo.").first).to_be_visible()
    expect(bubbles.filter(has_text="Revised with your feedback").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("You answered").first).to_be_visible()
    expect(page.get_by_text("You let the team carry on")).to_have_count(0)
    expect(mine.filter(has_text="Looks good. Please make it final.")).to_have_count(0)

    # letting the agent answer instead: its canned reply says it is automatic
    expect(waiting(page)).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Continue without me").click()
    canned = mine.filter(has_text="Looks good. Please make it final.")
    expect(canned.first).to_be_visible(timeout=30_000)
    expect(canned.first.get_by_text("automatic reply, not typed by you")).to_be_visible()
    page.locator(".st-key-stop_button button").click()
    expect(page.get_by_text(re.compile(r"^\W*Stopped")).first).to_be_visible()


def test_refusing_code_with_any_reason_never_runs_it(studio_page: Page) -> None:
    page = studio_page
    start(page, APPROVING, load_bundled_template("code_assistant").sample_tasks[0])
    card = page.locator(".st-key-human_panel")
    expect(card.get_by_text("Run this code?")).to_be_visible(timeout=60_000)
    expect(card.locator("code").filter(has_text="is_prime = [True] * limit").first).to_be_visible()
    page.get_by_text("Edit the code, or refuse it").click()
    page.get_by_label("Why not? (the agents read this)").fill("ok")
    page.get_by_role("button", name="Refuse", exact=True).click()
    bubbles = page.locator(BUBBLES)
    expect(bubbles.filter(has_text="The user refused to run the code. Reason: ok").first).to_be_visible(
        timeout=30_000)
    expect(page.get_by_text("You refused the code: ok").first).to_be_visible()
    expect(page.get_by_text("execution succeeded")).to_have_count(0)
    page.locator(".st-key-stop_button button").click()
    expect(page.get_by_text(re.compile(r"^\W*Stopped")).first).to_be_visible()


def test_approving_code_runs_it(studio_page: Page, studio_with_approval: StudioServer) -> None:
    page = studio_page
    start(page, APPROVING, load_bundled_template("code_assistant").sample_tasks[0])
    card = page.locator(".st-key-human_panel")
    expect(card.get_by_text("Run this code?")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Approve and run").click()
    expect(page.get_by_text("You approved the code").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Ran python.*exit 0")).first).to_be_visible(timeout=30_000)
    run_id = re.search(r"[?&]run=([0-9a-f]+)", page.url).group(1)
    store = Store.open(data_dir=Path(studio_with_approval.data_dir))
    events = list(store.run_events(LOCAL, run_id))
    store.close()
    assert any(e.kind == "code_executed" and e.data["exit_code"] == 0 for e in events)
