"""The Models page in Chromium against a real OpenAI-compatible server on loopback: a wrong
URL and a base URL without /v1 are explained with what to do, a pasted key is only ever
shown masked, and a working model answers Test."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.oai_server import OAIServer, text

from .conftest import StudioServer, free_port, running_studio

KEY = "sk-e2e-secret-abcdefgh9876"


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    with running_studio(tmp_path_factory.mktemp("models")) as server:
        yield server


@pytest.fixture(scope="module")
def model_server() -> Iterator[OAIServer]:
    with OAIServer() as server:
        yield server


def add_model(page: Page, url: str, name: str, base_url: str, key: str = "") -> None:
    page.goto(f"{url}/models")
    page.get_by_role("heading", name="Models").first.wait_for()
    chooser = page.get_by_role("combobox", name="Start from")
    chooser.click()
    chooser.press_sequentially("vLLM")
    chooser.press("Enter")
    expect(chooser).to_have_value(re.compile("vLLM"))
    form = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name="Save model"))
    # Choosing a preset reruns the page, which fills the form; typing before that rerun has
    # landed mixes the preset's text with ours, so wait for the preset's own name first.
    expect(form.get_by_role("textbox", name=re.compile("^Name"))).to_have_value("my-vllm")
    fields = {re.compile("^Name"): name, "Base URL": base_url,
              "Model name on the server": "test-model", "API key environment variable": "",
              re.compile("paste the key"): key}
    for label, value in fields.items():
        box = form.get_by_role("textbox", name=label, exact=isinstance(label, str))
        box.fill(value)
        expect(box).to_have_value(value)
    form.get_by_role("button", name="Save model").click()
    expect(page.locator(f".st-key-test_{name} button")).to_be_visible()  # in "Your models"


def press_test(page: Page, name: str) -> None:
    page.locator(f".st-key-test_{name} button").click()


def test_a_wrong_url_and_a_missing_v1_say_what_to_do(app_page: Page, studio: StudioServer,
                                                    model_server: OAIServer):
    page = app_page
    add_model(page, studio.url, "nowhere", f"http://127.0.0.1:{free_port()}/v1")
    press_test(page, "nowhere")
    expect(page.get_by_text(re.compile("no server is listening")).first).to_be_visible()
    expect(page.get_by_text(re.compile("Is the server running")).first).to_be_visible()
    add_model(page, studio.url, "nov1", model_server.url)  # the /v1 left out
    press_test(page, "nov1")
    expect(page.get_by_text(re.compile(r"does not exist \(HTTP 404\)")).first).to_be_visible()
    expect(page.get_by_text(re.compile("need it to end in /v1")).first).to_be_visible()


def test_a_pasted_key_is_only_shown_masked_and_the_model_answers(
        app_page: Page, studio: StudioServer, model_server: OAIServer):
    page = app_page
    model_server.push(text("OK"))
    add_model(page, studio.url, "loop", model_server.base_url, KEY)
    expect(page.get_by_text(re.compile(r"\.\.\.9876")).first).to_be_visible()
    expect(page.get_by_role("textbox", name=re.compile("paste the key"))).to_have_value("")
    html = page.content()
    at = html.find(KEY)
    assert at < 0, f"the key reached the page: ...{html[max(0, at - 300):at + 60]}"
    for box in page.locator("input").all():
        assert box.input_value() != KEY, "the form forgets the key once saved"
    press_test(page, "loop")
    expect(page.get_by_text(re.compile("model 'test-model' answered")).first).to_be_visible()
    page.reload()
    page.get_by_role("heading", name="Models").first.wait_for()
    assert KEY not in page.content()
