"""Two studio processes and a Celery worker, in Chromium: a run started in one studio is
seen waiting in the other, which stops it; the first shows it stopped. Pages do not know
where a run executes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.workers import scaled_out

from .conftest import StudioServer


@pytest.fixture
def two_studios(tmp_path: Path,
                request: pytest.FixtureRequest) -> Iterator[tuple[StudioServer, StudioServer]]:
    with scaled_out(tmp_path, request) as cluster:
        cluster.worker()  # it starts while the studios do
        studios = [StudioServer(cluster.data, tmp_path / f"studio{i}.log",
                                ("--broker", cluster.broker, "--db-url", cluster.db))
                   for i in range(2)]
        try:
            for studio in studios:
                studio.start()
            cluster.ready()
            yield studios[0], studios[1]
        finally:
            for studio in studios:
                studio.stop()


def test_a_run_on_a_worker_is_stopped_from_the_other_studio(two_studios, page: Page):
    first, second = two_studios
    page.goto(f"{first.url}/")
    page.locator(".st-key-gallery_run_human_in_the_loop button").click()  # one click runs it
    expect(page.get_by_text("Waiting for you").first).to_be_visible(timeout=90_000)
    run_url = page.url
    assert "run=" in run_url
    other = page.context.new_page()
    other.goto(run_url.replace(first.url, second.url))
    expect(other.get_by_text("Waiting for you").first).to_be_visible(timeout=60_000)
    expect(other.get_by_text("Here is a first draft").first).to_be_visible()
    other.locator(".st-key-stop_button button").click()
    expect(other.get_by_text("The run ended:").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Stopped").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("you stopped it").first).to_be_visible()
