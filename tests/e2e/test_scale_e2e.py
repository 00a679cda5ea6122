"""Two studio processes and a Celery worker, in Chromium: a run started in one studio is
seen waiting in the other, which stops it; the first shows it stopped. Pages do not know
where a run executes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.store import Store
from tests.support.services import (
    fresh_pg_database,
    fresh_redis_database,
    postgres_admin_url,
    redis_base_url,
)

from .conftest import ROOT, StudioServer


@pytest.fixture
def scaled_out(tmp_path: Path) -> Iterator[tuple[StudioServer, StudioServer]]:
    with fresh_pg_database(postgres_admin_url()) as db, \
            fresh_redis_database(redis_base_url()) as broker:
        data = tmp_path / "data"
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-m", "studio", "worker", "--broker", broker,
                                   "--db-url", db, "--data-dir", str(data)],
                                  cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        studios = [StudioServer(data, tmp_path / f"studio{i}.log",
                                ("--broker", broker, "--db-url", db)) for i in range(2)]
        try:
            for studio in studios:
                studio.start()
            store = Store.open(db)
            assert store.live_leases("worker") or worker.poll() is None
            yield studios[0], studios[1]
        finally:
            for studio in studios:
                studio.stop()
            worker.terminate()
            worker.wait(30)
            log.close()


def test_a_run_on_a_worker_is_stopped_from_the_other_studio(scaled_out, page: Page):
    first, second = scaled_out
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
