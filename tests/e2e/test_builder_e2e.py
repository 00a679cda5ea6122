"""Builder journeys in Chromium: build a team by dragging on the canvas, save, find it in the
Gallery and run it; edit a template as text and watch the canvas follow."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import FrameLocator, Page, expect

from studio.spec import dump_yaml, load_bundled_template

BUBBLES = '[data-testid="stChatMessage"]'


def open_builder(page: Page, url: str) -> FrameLocator:
    page.goto(f"{url}/builder")
    page.get_by_role("heading", name="Builder").first.wait_for()
    button(page, "builder_new").click()
    expect(page.get_by_text("New team: add agents")).to_be_visible()
    return page.frame_locator(".st-key-builder_canvas iframe")


def button(page: Page, key: str) -> Any:
    return page.locator(f".st-key-{key} button").first


def node(canvas: FrameLocator, text: str) -> Any:
    return canvas.locator(".react-flow__node").filter(has_text=re.compile(rf"\b{text}\b"))


def add_preset(page: Page, canvas: FrameLocator, label: str, name: str) -> None:
    page.locator(".st-key-builder_palette button").filter(has_text=label).first.click()
    expect(node(canvas, name)).to_be_visible()


def connect(page: Page, canvas: FrameLocator, source: str, target: str) -> None:
    """Drag from the source node's right handle to the target node's left handle.

    The canvas re-draws when the page answers an earlier change; a drag that starts during
    that re-draw is lost, as it would be for a person, so the drag is tried again.
    """
    edges = canvas.locator(".react-flow__edge")
    before = edges.count()
    # the page answers with the edge under its own id (e<index>) once it is in the draft
    stored = canvas.locator(f'[data-testid="rf__edge-e{before}"]')
    for _attempt in range(3):
        start = node(canvas, source).locator(".react-flow__handle.source").bounding_box()
        end = node(canvas, target).locator(".react-flow__handle.target").bounding_box()
        assert start and end
        page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        page.mouse.down()
        page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=15)
        page.mouse.up()
        try:
            expect(stored).to_be_attached(timeout=8_000)
        except AssertionError:
            if edges.count() > before:  # drawn, not yet answered: give the page more time
                expect(stored).to_be_attached(timeout=15_000)
            else:
                continue
        expect(edges).to_have_count(before + 1)
        return
    raise AssertionError(f"could not connect {source} -> {target} on the canvas")


def test_build_a_group_chat_by_dragging_save_it_and_run_it_from_the_gallery(app_page: Page,
                                                                           studio: Any) -> None:
    page = app_page
    canvas = open_builder(page, studio.url)
    for label, name in (("Planner", "planner"), ("Coder", "coder"), ("Critic", "critic")):
        add_preset(page, canvas, label, name)
    expect(button(page, "builder_run")).to_be_disabled()
    connect(page, canvas, "planner", "coder")
    connect(page, canvas, "coder", "critic")
    connect(page, canvas, "critic", "planner")
    expect(button(page, "builder_run")).to_be_enabled()
    expect(node(canvas, "planner")).to_contain_text("starts")
    expect(canvas.locator(".react-flow__node").filter(has_text="problem")).to_have_count(0)

    page.get_by_role("tab", name="Save & versions").click()
    name_box = page.get_by_label("Template name")
    name_box.fill("trio_e2e")
    name_box.press("Tab")
    button(page, "builder_save").click()
    expect(page.get_by_text("Saved “trio_e2e” as version 1")).to_be_visible()

    page.goto(studio.url)  # a fresh load: the saved team must come from the database
    page.get_by_role("heading", name="Gallery").first.wait_for()
    run_button = page.locator(".st-key-gallery_run_saved-trio_e2e button")
    expect(run_button).to_be_visible(timeout=15_000)
    run_button.click()  # the new team has no sample task: the Playground asks for one
    page.get_by_role("heading", name="Playground").first.wait_for()
    expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile("Demo"))
    page.locator(".st-key-task_input textarea").fill("Plan and write a haiku generator.")
    page.locator(".st-key-run_button button").click()
    expect(page.get_by_text(re.compile(r"^\W*Finished")).first).to_be_visible(timeout=90_000)
    expect(page.get_by_text("The run ended:").first).to_be_visible()
    assert page.locator(BUBBLES).count() >= 3
    for speaker in ("planner", "coder", "critic"):
        expect(page.locator(BUBBLES).filter(has_text=speaker).first).to_be_visible()


def test_editing_the_text_view_updates_the_canvas(app_page: Page, studio: Any) -> None:
    page = app_page
    canvas = open_builder(page, studio.url)
    spec = load_bundled_template("code_assistant")
    text = (dump_yaml(spec).replace("name: assistant", "name: solver")
            .replace("target: assistant", "target: solver")
            .replace("agent: assistant", "agent: solver")
            .replace("  assistant: {", "  solver: {").replace("name: Code assistant",
                                                               "name: Solver pair"))
    page.get_by_role("tab", name="Text").click()
    area = page.get_by_role("textbox", name="The template as YAML")
    area.fill(text)
    button(page, "builder_text_apply").click()
    # the outcome first (the draft is now the text's), then what the page says about it
    expect(page.get_by_text(re.compile(r"Editing\s+Solver pair"))).to_be_visible()
    expect(page.get_by_text("Applied: the canvas")).to_be_visible()
    page.get_by_role("tab", name="Canvas").click()
    expect(node(canvas, "solver")).to_be_visible()
    expect(node(canvas, "user")).to_be_visible()
    expect(canvas.locator(".react-flow__edge")).to_have_count(1)
    expect(canvas.locator(".react-flow__edge-text")).to_have_text("starts a chat with")

    page.get_by_role("tab", name="Text").click()
    area = page.get_by_role("textbox", name="The template as YAML")
    area.fill(area.input_value().replace("kind: two_agent", "kind: triangle"))
    button(page, "builder_text_apply").click()
    problems = page.locator('[data-testid="stAlertContentError"]').filter(has_text="Not applied")
    expect(problems).to_contain_text("Conversation › How they talk: 'triangle' is not one of "
                                     "the choices: 'group' (Group conversation)")
    expect(problems).to_contain_text(re.compile(r"Line \d+ · Conversation"))
    expect(problems.get_by_text("pattern.kind")).to_be_visible()  # the path, for YAML writers
    expect(area).to_have_value(re.compile("kind: triangle"))  # the typed text is kept
    page.get_by_role("tab", name="Canvas").click()
    expect(node(canvas, "solver")).to_be_visible()
    expect(canvas.locator(".react-flow__edge")).to_have_count(1)

    # Run at the top, pressed on the Text tab, brings the test panel beside the canvas
    page.get_by_role("tab", name="Text").click()
    button(page, "builder_run").click()
    expect(page.get_by_role("tab", name="Canvas", selected=True)).to_be_visible()
    expect(page.locator(".st-key-builder_test_go button")).to_be_visible()
