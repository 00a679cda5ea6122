"""Bring your own documents, in a real browser: make a collection, upload a file of every
supported type, try a question, then ask the retrieval template about them."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.documents import write_sample_files

BUBBLES = '[data-testid="stChatMessage"]'


def test_upload_documents_and_ask_about_them(app_page: Page, tmp_path: Path):
    page = app_page
    files = write_sample_files(tmp_path / "files")
    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_text("No collections yet")).to_be_visible()
    page.locator(".st-key-new_collection_name input").fill("Club papers")
    page.locator(".st-key-create_collection button").click()
    expect(page.get_by_text("Created Club papers")).to_be_visible()

    page.locator('[class*="st-key-documents_upload"] input[type=file]').set_input_files(
        [str(f) for f in files])
    expect(page.get_by_text("wifi.txt").first).to_be_visible()
    page.locator(".st-key-documents_add button").click()
    expect(page.get_by_text(re.compile(r"\d+ passages in all"))).to_be_visible(timeout=60_000)
    for name in ("timetable.pdf", "shed.docx", "canoe.html", "choir.md", "wifi.txt"):
        expect(page.get_by_text(name).first).to_be_visible()

    page.locator(".st-key-documents_query input").fill("When does the night bus leave?")
    page.locator(".st-key-documents_search button").click()
    expect(page.get_by_text("[1] timetable.pdf, page 2")).to_be_visible()

    page.get_by_role("link", name="Playground").click()
    template = page.get_by_role("combobox", name="Template")
    template.click()
    page.get_by_role("option", name="Retrieval-augmented question answering",
                     exact=True).click()
    page.locator(".st-key-documents_choice").click()
    page.get_by_role("option", name="Club papers").click()
    page.locator(".st-key-task_input textarea").fill("Where is the spare key to the tool shed?")
    page.locator(".st-key-run_button button").click()
    expect(page.get_by_text(re.compile(r"^\W*Finished")).first).to_be_visible(timeout=60_000)
    sent = page.locator(BUBBLES).first
    expect(sent).to_contain_text("passage")
    expect(sent).to_contain_text("shed.docx")
