"""The journeys from the issue, in a real browser against `roundtable ui`."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from studio.store import Actor, Store

from .conftest import StudioServer

LOCAL = Actor.local()

BUBBLES = '[data-testid="stChatMessage"]'


def open_template(page: Page, key: str) -> None:
    """Gallery -> the template's Run button: one click runs it on its first sample task (on
    the Demo model by default) and shows the run in the Playground."""
    page.locator(f".st-key-gallery_run_{key} button").click()
    page.get_by_role("heading", name="Playground").first.wait_for()
    expect(page).to_have_url(re.compile(r"[?&]run=[0-9a-f]+"))
    expect(page.locator(".st-key-demo_banner_run").get_by_text(
        "Demo model: a scripted rehearsal, not an AI.")).to_be_visible()


def status(page: Page, label: str) -> Any:
    return page.get_by_text(re.compile(rf"^\W*{re.escape(label)}")).first


# Each message's bubble sits in a container keyed by its place in the run
# (st-key-tx_msg-<view>-<seq>). While Streamlit redraws, the earlier drawing of a bubble can
# briefly be on the page next to the new one: messages are counted by that key, once each.
MESSAGES_JS = """(sel) => new Set([...document.querySelectorAll('[class*="st-key-tx_msg-"]')]
    .filter(el => el.querySelector(sel))
    .map(el => [...el.classList].find(c => c.startsWith('st-key-tx_msg-')))).size"""


def message_count(page: Page) -> int:
    """How many distinct messages the transcript shows."""
    return int(page.evaluate(MESSAGES_JS, BUBBLES))


def bubble_count_above(page: Page, count: int, timeout: float = 30.0) -> int:
    page.wait_for_function(f"([sel, n]) => ({MESSAGES_JS})(sel) > n", arg=[BUBBLES, count],
                           timeout=timeout * 1000)
    return message_count(page)


def test_newcomer_runs_the_group_chat_and_watches_it_grow(app_page: Page):
    page = app_page
    open_template(page, "planning_group")
    seen = bubble_count_above(page, 0)
    observations = [seen]
    while not status(page, "Finished").is_visible():
        try:
            seen = bubble_count_above(page, seen, timeout=20)
        except Exception:
            break  # no new bubble: the run may have just finished
        observations.append(seen)
    expect(status(page, "Finished")).to_be_visible(timeout=60_000)
    final = message_count(page)
    assert len(set(observations)) >= 3, f"the transcript grew over time: {observations}"
    assert final >= max(observations) and final >= 4
    expect(page.locator(BUBBLES)).to_have_count(final)  # once settled: each message once
    expect(page.get_by_text("The run ended:").first).to_be_visible()
    for speaker in ("planner", "coder", "critic"):
        expect(page.locator(BUBBLES).filter(has_text=speaker).first).to_be_visible()


def answer(page: Page, text: str) -> None:
    """Type the reply into the one chat box and press Enter."""
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(text)
    box.press("Enter")


def test_human_answers_every_turn_then_exits(app_page: Page):
    page = app_page
    open_template(page, "human_in_the_loop")
    expect(status(page, "Waiting for you")).to_be_visible(timeout=30_000)
    expect(page.locator(BUBBLES).filter(has_text="Here is a first draft").first).to_be_visible()
    answer(page, "Please mention the Wednesday demo.")
    expect(page.locator(BUBBLES).filter(has_text="Revised with your feedback").first).to_be_visible(
        timeout=30_000)
    expect(status(page, "Waiting for you")).to_be_visible(timeout=30_000)
    answer(page, "Add a line about questions at stand-up.")
    expect(page.locator(BUBBLES).filter(has_text="Final version").first).to_be_visible(timeout=30_000)
    expect(status(page, "Waiting for you")).to_be_visible(timeout=30_000)
    answer(page, "exit")
    expect(status(page, "Finished")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("The run ended:").first).to_be_visible()
    transcript = page.locator(BUBBLES)
    # (.first: while the page redraws, the faded earlier drawing may still be there)
    expect(transcript.filter(has_text="Please mention the Wednesday demo.").first).to_be_visible()
    expect(transcript.filter(has_text="Add a line about questions at stand-up.").first
           ).to_be_visible()


def test_killed_server_leaves_an_interrupted_run_with_its_messages(app_page: Page,
                                                                     studio: StudioServer):
    page = app_page
    open_template(page, "planning_group")
    expect(page.get_by_text(re.compile(r"is speaking|Waiting for the first")).first).to_be_visible()
    bubble_count_above(page, 0)
    # killed by the store's word, not the page's: the page can show the second message a
    # few seconds after it was said, when (on a loaded machine) the run may be over
    store = Store.open(data_dir=studio.data_dir)
    (run,) = store.list_runs(LOCAL)
    deadline = time.monotonic() + 60
    while sum(e.kind == "message" for e in store.run_events(LOCAL, run.id)) < 2:
        assert time.monotonic() < deadline and store.get_run(LOCAL, run.id).status == "running"
        time.sleep(0.1)  # polling the store while the run goes on
    studio.kill9()
    # the page cannot hear from the dead server: it says so instead of "Running ... speaking"
    banner = page.locator("#rt-connection-lost")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("this run is interrupted")
    expect(page.get_by_text(re.compile(r"is speaking")).filter(visible=True)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^\W*Running")).filter(visible=True)).to_have_count(0)
    (run,) = store.list_runs(LOCAL)
    assert run.status == "running"  # nobody could finish it
    said = [e for e in store.run_events(LOCAL, run.id) if e.kind == "message"]
    assert len(said) >= 2  # (a third bubble may still be streaming)
    url = studio.restart()
    page.goto(f"{url}/history")
    page.get_by_role("heading", name="History").first.wait_for()
    # marked by the new studio once the dead one's lease has expired: as it comes up, or at
    # one of its heartbeats when that lease was still running then (a loaded machine)
    deadline = time.monotonic() + 60
    while store.get_run(LOCAL, run.id).status != "interrupted":
        assert time.monotonic() < deadline, "the killed studio's run was never marked"
        time.sleep(0.2)
    page.reload()
    page.get_by_role("heading", name="History").first.wait_for()
    expect(page.get_by_text("This run was").first).to_be_visible()
    expect(page.get_by_role("combobox", name="Open a run")).to_have_value(
        re.compile(f"#{run.id[:6]}$"))  # this run is the one open (its label ends in its id)
    bubbles = page.locator(BUBBLES)
    expect(bubbles.filter(has_text=said[0].content[:40]).first).to_be_visible()
    speakers = {e.sender for e in said}
    for speaker in speakers:
        expect(bubbles.filter(has_text=speaker).first).to_be_visible()
    assert bubbles.count() >= len([e for e in said if e.role != "tool"]) - 1
    assert time.time() - run.started_at < 300
