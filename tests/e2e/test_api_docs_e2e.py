"""`roundtable serve`'s interactive API page in Chromium, with the network cut off: every
script, style and image it needs comes from the service itself."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.support.serve import ServeProcess


def test_the_api_page_works_offline(page: Page, tmp_path: Path) -> None:
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with ServeProcess(["human_in_the_loop"], tmp_path / "data") as served:
        page.route("**/*", offline)
        page.goto(f"{served.url}/docs")
        expect(page.get_by_role("heading", name="Roundtable Studio: served teams")).to_be_visible(
            timeout=30_000)
        run = page.locator(".opblock-summary-path", has_text="/api/templates/{name}/runs").first
        expect(run).to_be_visible()
        run.click()  # an operation opens with its parameters, drawn by Swagger UI
        expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    assert elsewhere == [], f"the page reached beyond the service: {elsewhere}"
