"""A run page in Chromium: the live team graph logs no console errors, and an image in an
agent's message is never fetched from its host (it is shown as a link)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from studio.spec import load_bundled_template
from studio.store import Actor, Store

from .conftest import StudioServer

LOCAL = Actor.local()

IMAGE_HOST = "images.example.test"
IMAGE = f"http://{IMAGE_HOST}/pixel.png?transcript=the-secret-plan"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    """One studio for the module, with a group-chat template whose first message shows an
    image from another host."""
    root = tmp_path_factory.mktemp("run-page")
    doc = load_bundled_template("planning_group").to_dict()
    doc["name"] = "Pictures"
    first = doc["demo_scripts"][0]["turns"][0]  # the sample task's conversation
    first["content"] = f"Here is the plan as a chart: ![plan chart]({IMAGE})\n\n" + first["content"]
    store = Store.open(data_dir=root / "data")
    store.save_template(LOCAL, doc["name"], doc)
    store.close()
    studio = StudioServer(root / "data", root / "studio.log")
    studio.start()
    yield studio
    studio.stop()


def test_run_page_logs_no_graph_errors_and_fetches_no_image(page: Page, server: StudioServer):
    errors: list[Any] = []
    page.on("console", lambda message: errors.append(message) if message.type == "error" else None)
    outside: list[str] = []

    def leave_nothing(route: Route) -> None:
        url = route.request.url
        if re.match(r"^https?://(127\.0\.0\.1|localhost)[:/]", url) or url.startswith(
                ("data:", "blob:", "about:")):
            route.continue_()
        else:  # a request leaving this machine: record it, never send it
            outside.append(url)
            route.abort()

    page.route("**/*", leave_nothing)
    page.set_default_timeout(30_000)
    page.goto(server.url)
    page.get_by_role("heading", name="Gallery").first.wait_for()
    page.locator(".st-key-gallery_run_saved-Pictures button").click()  # runs it at once
    page.get_by_role("heading", name="Playground").first.wait_for()
    expect(page).to_have_url(re.compile(r"[?&]run=[0-9a-f]+"))
    expect(page.get_by_text(re.compile(r"^\W*Finished")).first).to_be_visible(timeout=90_000)

    expect(page.get_by_text("Here is the plan as a chart").first).to_be_visible()
    assert not [u for u in outside if IMAGE_HOST in u], outside  # never fetched
    link = page.get_by_role("link", name=re.compile("image: plan chart"))
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", IMAGE)
    assert page.locator(f'img[src*="{IMAGE_HOST}"]').count() == 0
    graph = page.locator('[class*="st-key-run_graph_"] svg')  # drawn with the page
    expect(graph.first).to_be_visible()
    expect(graph.first.locator("text").filter(has_text="planner")).to_have_count(1)

    from_graph = [m for m in errors if "agraph" in (m.location.get("url") or "")
                  or re.search(r"Invalid (type|option)|Unknown option", m.text)]
    assert from_graph == [], [f"{m.location.get('url')}: {m.text[:200]}" for m in from_graph[:5]]
