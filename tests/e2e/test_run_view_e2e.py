"""The run view in Chromium, the way a person giving a demo uses it: one click to run, a
typed task the Demo uses, pause / step in / resume / stop with feedback at once, a message
the run ended before (shown, and offered as a follow-up), choosing the next speaker, a reload in the middle of a run, exports, and fast clicks in the Gallery.

One studio serves the whole module (the Demo at its readable pace, so there is time to
act during a run)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from studio.runs import RunManager
from studio.spec import Registry, load_bundled_template
from studio.store import Actor, Store

from .conftest import StudioServer, running_studio, settled

LOCAL = Actor.local()

BUBBLES = '[data-testid="stChatMessage"]'
# (a bubble looked for with .first: while the page redraws, the faded earlier drawing of the
# same message may still be there for a moment)
MANUAL = {
    "format": 1, "name": "pick_who_speaks", "models": {"main": "demo"},
    "agents": [
        {"name": "host", "kind": "user_proxy", "human_input": "never",
         "max_consecutive_auto_reply": 0},
        {"name": "poet", "kind": "assistant", "model": "main", "description": "Writes verse."},
        {"name": "painter", "kind": "assistant", "model": "main", "description": "Paints."},
    ],
    "pattern": {"kind": "group", "starter": "host",
                "edges": [{"source": "host", "target": "poet"},
                          {"source": "host", "target": "painter"},
                          {"source": "poet", "target": "painter"},
                          {"source": "painter", "target": "poet"}],
                "group": {"speaker_selection": "manual", "max_round": 3}},
    "sample_tasks": ["Describe a sunrise over the sea."],
}


LONG_TASK = "Talk it through."
LONG = {
    "format": 1, "name": "long_talk", "models": {"main": "demo"},
    "agents": [
        {"name": "host", "kind": "user_proxy", "human_input": "never",
         "max_consecutive_auto_reply": 0},
        *({"name": n, "kind": "assistant", "model": "main"} for n in ("ana", "ben", "cy")),
    ],
    "pattern": {"kind": "group", "starter": "host",
                "edges": [{"source": a, "target": b} for a, b in (
                    ("host", "ana"), ("ana", "ben"), ("ben", "cy"), ("cy", "ana"))],
                "group": {"speaker_selection": "round_robin", "max_round": 16}},
    "sample_tasks": [LONG_TASK],
    "demo_scripts": [{"task": LONG_TASK, "turns": [
        {"agent": ("ana", "ben", "cy")[i % 3],
         "content": f"Point {i + 1}: " + " ".join(["a thought worth saying slowly"] * 8)
         + (" TERMINATE" if i == 13 else "")} for i in range(14)]}],
}


def _approving() -> dict[str, Any]:
    """The code assistant, asking the person before any code runs."""
    doc = load_bundled_template("code_assistant").to_dict()
    doc["name"] = "approve_first"
    user = next(a for a in doc["agents"] if a["name"] == "user")
    user["human_input"] = "never"
    user["code_execution"] = {**user.get("code_execution", {}), "approve": True}
    return doc


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    root = tmp_path_factory.mktemp("run-view")
    store = Store.open(data_dir=root / "data")
    store.save_template(LOCAL, MANUAL["name"], MANUAL)
    store.save_template(LOCAL, LONG["name"], LONG)  # a run long enough to act during it
    store.save_template(LOCAL, "approve_first", _approving())
    store.close()
    with running_studio(root) as server:
        yield server


def run_from_gallery(page: Page, key: str) -> str:
    page.locator(f".st-key-gallery_run_{key} button").click()
    page.get_by_role("heading", name="Playground").first.wait_for()
    expect(page).to_have_url(re.compile(r"[?&]run=[0-9a-f]+"))
    return re.search(r"run=([0-9a-f]+)", page.url).group(1)


def status(page: Page, label: str) -> Any:
    return page.get_by_text(re.compile(rf"^\W*{re.escape(label)}")).first


def record_notes(page: Page) -> None:
    """From now on, keep every text the "Sending…" note (``#rt-sending``) shows.

    The note goes as soon as the server's answer is drawn, which on a loaded machine can be
    before a test's first look, so tests read what was shown rather than catch it on screen.
    """
    page.evaluate("""() => {
      window.__rtNotes = [];
      if (window.__rtNoteWatch) return;
      window.__rtNoteWatch = new MutationObserver(() => {
        const box = document.getElementById('rt-sending');
        const text = box && box.style.display === 'block' ? box.textContent : '';
        if (text && window.__rtNotes[window.__rtNotes.length - 1] !== text) {
          window.__rtNotes.push(text);
        }
      });
      window.__rtNoteWatch.observe(document.body, {subtree: true, childList: true,
        characterData: true, attributes: true, attributeFilter: ['style']});
    }""")


def expect_noted(page: Page, text: str) -> None:
    """The note showed ``text`` since :func:`record_notes` (at once: the browser draws it
    on the click or the Enter itself, before the server has answered)."""
    page.wait_for_function("(t) => window.__rtNotes.some((n) => n.includes(t))", arg=text,
                           timeout=2_000)


def test_a_typed_task_is_visibly_used_by_the_demo(app_page: Page):
    page = app_page
    first = run_from_gallery(page, "brainstorm")
    expect(page.locator(".st-key-demo_banner_run").get_by_text(
        "Demo model: a scripted rehearsal, not an AI.")).to_be_visible()
    box = page.locator(f".st-key-task_again_{first[:8]} textarea")
    expect(box).to_have_value("Get more neighbours to use the new community garden.")
    box.fill("Plan a one-day workshop for teachers")
    page.get_by_role("button", name="Run again").click()
    expect(page).not_to_have_url(re.compile(first))
    facilitator = page.locator(BUBBLES).filter(
        has_text="How might we plan a one-day workshop for teachers?").first
    expect(facilitator).to_be_visible(timeout=30_000)
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    expect(page.locator(BUBBLES).filter(has_text='Shortlist for "Plan a one-day workshop for '
                                                 'teachers"').first).to_be_visible()
    expect(page.locator(BUBBLES).filter(has_text="community garden")).to_have_count(0)


# who speaks after whom in LONG (round robin along its arrows)
NEXT = {"host": "ana", "ana": "ben", "ben": "cy", "cy": "ana"}
VEGA_WARNINGS = ("Infinite extent", "Scale bindings", "WARN ")


def ringed(page: Page) -> str:
    """The agent the team graph marks as speaking (or as having spoken last)."""
    ring = page.locator(".rt-speaker").first
    ring.wait_for()
    return str(ring.get_attribute("data-agent"))


def arrow_count(page: Page, source: str, target: str) -> int:
    return int(page.locator(f'.rt-edge[data-edge="{source}→{target}"]').first
               .get_attribute("data-count") or 0)


def test_pause_step_in_resume_and_stop_answer_at_once(app_page: Page):
    page = app_page
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    run_from_gallery(page, "saved-long_talk")
    pause = page.locator(".st-key-pause_button button")
    pause.wait_for()
    page.wait_for_function("window.__rtFeedback === true")  # the page's feedback is in place
    record_notes(page)
    pause.click()  # while the first messages are being written
    expect_noted(page, "Pausing after this message")
    expect(status(page, "Paused")).to_be_visible()
    # paused: the graph still marks who spoke last (a still ring), and counts so far
    last = ringed(page)
    assert last in NEXT, last
    expect(page.locator(".rt-speaker animate")).to_have_count(0)
    following = NEXT[last]
    before = arrow_count(page, last, following)
    text = "Please add type hints everywhere."
    chat = page.locator('[data-testid="stChatInputTextArea"]')
    chat.fill(text)
    record_notes(page)
    chat.press("Enter")
    expect_noted(page, "Sending")
    assert page.evaluate("""() => {  // the note sits above the chat box, not on it
        const box = document.getElementById('rt-sending');
        const input = document.querySelector('[data-testid="stChatInput"]');
        return parseFloat(box.style.bottom) >= innerHeight - input.getBoundingClientRect().top;
    }"""), "the Sending note covers the chat box"
    pending = page.locator(BUBBLES).filter(has_text=text).filter(has_text="sending…")
    expect(pending).to_be_visible()
    page.locator(".st-key-resume_button button").click()
    expect(pending).to_have_count(0, timeout=30_000)
    expect(page.locator(BUBBLES).filter(has_text=text).filter(has_not_text="sending…").first
           ).to_be_visible()
    # the agent speaking after the person stepped in is counted after the one before it
    page.wait_for_function(
        "([edge, n]) => [...document.querySelectorAll(`.rt-edge[data-edge='${edge}']`)]"
        ".some(e => Number(e.dataset.count) > n)", arg=[f"{last}→{following}", before],
        timeout=30_000)
    expect(page.locator(".rt-speaker animate").first).to_be_attached()  # live: it pulses
    assert ringed(page) in NEXT
    page.locator(".st-key-stop_button button").click()
    expect(status(page, "Stopped")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("you stopped it").first).to_be_visible()
    # what follows reads the page at one moment: once it is quiet (a stopped run is drawn
    # once more without polling; mid-redraw, earlier drawings of bubbles, the caption and
    # the graph can still be on the page beside the new ones)
    settled(page)
    # stopped: the ring stays on the agent the caption says spoke last
    caption = page.locator('[class*="st-key-run_speaking_"]').first
    expect(caption).to_contain_text("spoke last")
    expect(caption).to_contain_text("you stepped in 1×")
    assert caption.inner_text().split("🗣️")[-1].split()[0] == ringed(page)
    expect(page.locator(".rt-speaker animate")).to_have_count(0)
    # every arrow counts the turns the transcript shows, the ones around the person's too
    said = [m.group(1) for m in (re.search(r"\b(host|ana|ben|cy|human) (→|·)", t)
                                 for t in page.locator(BUBBLES).all_inner_texts()) if m]
    assert said.count("human") == 1 and said[-1] in NEXT, said
    turns = [name for name in said if name != "human"]
    expected: dict[str, int] = {}
    for before_it, name in zip(turns, turns[1:], strict=False):
        expected[f"{before_it}→{name}"] = expected.get(f"{before_it}→{name}", 0) + 1
    drawn = page.locator('[class*="st-key-run_graph_"] svg').first.locator(".rt-edge")
    counts = dict(drawn.evaluate_all("els => els.map(e => [e.dataset.edge, +e.dataset.count])"))
    assert {edge: n for edge, n in counts.items() if n} == expected, (said, counts)
    # the charts under the run draw without a warning in the browser's console
    page.get_by_text("Cost and activity per agent").click()
    expect(page.get_by_text("Who spoke how much")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()
    page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
                 ).first.wait_for()
    assert not [line for line in console if any(w in line for w in VEGA_WARNINGS)], console


def test_the_person_picks_the_next_speaker(app_page: Page):
    page = app_page
    run_from_gallery(page, "saved-pick_who_speaks")
    expect(page.get_by_text("Who speaks next?")).to_be_visible(timeout=30_000)
    page.locator(".st-key-speaker_painter button").click()
    expect(page.locator(BUBBLES).filter(has_text="painter").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("You chose painter to speak next.")).to_be_visible()


UNSENT = "Wrap up now, one sentence each."


def test_a_message_the_run_ended_before_is_shown_and_offered(app_page: Page):
    page = app_page
    run_from_gallery(page, "saved-long_talk")
    pause = page.locator(".st-key-pause_button button")
    pause.wait_for()
    page.wait_for_function("window.__rtFeedback === true")
    pause.click()
    expect(status(page, "Paused")).to_be_visible()
    chat = page.locator('[data-testid="stChatInputTextArea"]')
    chat.fill(UNSENT)
    chat.press("Enter")
    expect(page.locator(BUBBLES).filter(has_text=UNSENT).filter(has_text="sending…")
           ).to_be_visible()
    page.locator(".st-key-stop_button button").click()  # stopped before the next turn
    expect(status(page, "Stopped")).to_be_visible(timeout=30_000)
    notice = page.locator('[data-testid="stAlert"]').filter(
        has_text="Your message was not delivered: the run ended first")
    expect(notice.first).to_contain_text(UNSENT)
    expect(page.locator(BUBBLES).filter(has_text=UNSENT)).to_have_count(0)
    # a stopped run cannot be continued: the text is offered to copy into a fork
    expect(page.locator('[data-testid="stCode"]').filter(has_text=UNSENT)).to_be_visible()


def test_a_finished_run_offers_the_undelivered_message_as_its_follow_up(app_page: Page,
                                                                       studio: StudioServer):
    """A run that finished before taking the person's message (here run by another studio
    process on the same store) shows the notice and has it ready in the Continue box."""
    store = Store.open(data_dir=studio.data_dir)
    manager = RunManager(store, Registry.bundled(), data_dir=studio.data_dir)
    try:
        spec = load_bundled_template("human_in_the_loop")
        handle = manager.get(LOCAL, manager.start(LOCAL, spec, "Draft an email.",
                                                  template_name=spec.name))
        assert handle is not None
        deadline = time.monotonic() + 30
        while handle.pending is None:
            assert time.monotonic() < deadline and not handle.done, handle.status
            handle.wait_for_events(handle.last_seq, timeout=0.2)
        handle.interject(UNSENT)  # queued for the next turn, but the answer ends the chat
        handle.answer("exit")
        assert handle.wait(30) and handle.status == "finished"
    finally:
        assert manager.shutdown(5.0)
        store.close()
    page = app_page
    page.goto(f"{studio.url}/playground?run={handle.run_id}")
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=30_000)
    notice = page.locator('[data-testid="stAlert"]').filter(
        has_text="Your message was not delivered: the run ended first")
    expect(notice.first).to_contain_text(UNSENT)
    box = page.get_by_label("Follow-up message")
    expect(box).to_have_value(UNSENT)
    page.get_by_role("button", name="Continue the conversation").click()
    expect(page).not_to_have_url(re.compile(handle.run_id))
    expect(page.locator(BUBBLES).filter(has_text=UNSENT).first).to_be_visible(timeout=60_000)


def test_a_reload_in_the_middle_of_a_run_reattaches(app_page: Page):
    page = app_page
    run_id = run_from_gallery(page, "debate_judge")
    expect(page.locator(BUBBLES).nth(1)).to_be_visible(timeout=30_000)
    page.reload()
    page.get_by_role("heading", name="Playground").first.wait_for()
    assert run_id in page.url
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    expect(page.locator(BUBBLES).filter(has_text="Verdict").first).to_be_visible()


def test_history_exports_the_run_as_markdown_and_json(app_page: Page, studio: StudioServer,
                                                      tmp_path: Path):
    page = app_page
    run_id = run_from_gallery(page, "tool_helper")
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    page.goto(f"{studio.url}/history")
    page.get_by_role("heading", name="History").first.wait_for()
    expect(page.get_by_role("combobox", name="Open a run")).to_have_value(
        re.compile("Tool helper"))  # the newest run is open
    with page.expect_download() as markdown:
        page.locator(".st-key-export_md button").click()
    with page.expect_download() as as_json:
        page.locator(".st-key-export_json button").click()
    text = Path(markdown.value.path()).read_text()
    assert "176.7" in text and "350" in text
    data = json.loads(Path(as_json.value.path()).read_text())
    assert data["run"]["id"] == run_id


def test_a_double_click_on_run_starts_one_run(app_page: Page, studio: StudioServer):
    page = app_page
    before = len(Store.open(data_dir=studio.data_dir).list_runs(LOCAL))
    page.locator(".st-key-gallery_run_tool_helper button").dblclick()
    page.get_by_role("heading", name="Playground").first.wait_for()
    expect(page.get_by_role("heading", name="Tool helper")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    expect(page.locator(BUBBLES).filter(has_text="176.7").first).to_be_visible()
    runs = Store.open(data_dir=studio.data_dir).list_runs(LOCAL)
    assert len(runs) == before + 1, [r.template_name for r in runs]


def test_continue_fork_and_compare(app_page: Page, studio: StudioServer):
    page = app_page
    first = run_from_gallery(page, "debate_judge")
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    page.get_by_label("Follow-up message").fill("Judge, what would change your verdict?")
    page.get_by_role("button", name="Continue the conversation").click()
    expect(page).not_to_have_url(re.compile(first))
    expect(page.get_by_text(re.compile(f"Continued from run {first[:8]}"))).to_be_visible()
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    expect(page.locator(BUBBLES).filter(has_text="Judge, what would change your verdict?").first
           ).to_be_visible()
    second = re.search(r"run=([0-9a-f]+)", page.url).group(1)
    page.get_by_role("tab", name="🔀 Fork from a message").click()
    page.get_by_role("combobox", name="Message").click()
    page.get_by_role("option").filter(has_text="#2 proponent").click()
    page.get_by_label("Its text (edit it, then run from there)").fill(
        "Opening, for the motion: children need time to play.")
    page.get_by_role("button", name="Run from this message").click()
    expect(page).not_to_have_url(re.compile(second))
    expect(page.get_by_text(re.compile(f"Forked from run {second[:8]} at message 2 "
                                       r"\(edited\)"))).to_be_visible()
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    third = re.search(r"run=([0-9a-f]+)", page.url).group(1)
    page.get_by_role("tab", name="⚖️ Compare").click()
    page.get_by_role("link", name="Compare this run with another").click()
    page.get_by_role("heading", name="Compare runs").wait_for()
    assert f"a={third}" in page.url
    expect(page.get_by_text("Opening, for the motion: children need time to play.").first
           ).to_be_visible()
    expect(page.get_by_text("most tokens")).to_be_attached()  # a cell of the figures table
    # before and after, told apart: the pickers and the sides say which comes from which
    expect(page.get_by_role("combobox", name="First run")).to_have_value(
        re.compile(re.escape(f"· Debate with a judge · 🔀 fork of #{second[:6]} at message 2 "
                             "(edited) · Demo model (offline) · ")))
    expect(page.get_by_role("combobox", name="Second run")).to_have_value(
        re.compile(re.escape(f"· Debate with a judge · ↪️ follow-up of #{first[:6]} · Demo")))
    expect(page.get_by_text("🔀 This run is a fork of the second run at message 2 (edited)."
                            )).to_be_visible()
    expect(page.get_by_text("🔀 The first run is a fork of this run at message 2 (edited)."
                            )).to_be_visible()
    page.get_by_role("combobox", name="Second run").click()  # the list shows them too
    expect(page.get_by_role("option").filter(has_text=f"↪️ follow-up of #{first[:6]}")
           ).to_have_count(1)
    expect(page.get_by_role("option").filter(has_text=f"#{first[:6]}")).to_have_count(2)
    page.keyboard.press("Escape")


def test_the_gallerys_own_url_opens_it(app_page: Page, studio: StudioServer):
    """/gallery (a link someone typed or kept) opens the Gallery at /, never "Page not
    found"; the link's query goes with it."""
    page = app_page
    page.goto(f"{studio.url}/gallery?from=link")
    expect(page).to_have_url(f"{studio.url}/?from=link")
    page.get_by_role("heading", name="Gallery").first.wait_for()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
           ).to_contain_text("Gallery")
    expect(page.locator('[data-testid="stSidebarNavLink"]', has_text="Gallery")).to_have_count(1)
    expect(page.locator(".st-key-gallery_run_brainstorm button")).to_be_visible()


def test_code_is_approved_or_refused_before_it_runs(app_page: Page):
    page = app_page
    run_from_gallery(page, "saved-approve_first")
    expect(page.get_by_text("Run this code?")).to_be_visible(timeout=30_000)
    record_notes(page)
    page.locator(".st-key-approve_code button").click()
    expect_noted(page, "Sending your answer")
    expect(page.get_by_text(re.compile(r"Ran python")).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("The run ended:").first).to_be_visible(timeout=60_000)
    expect(page.locator(BUBBLES).filter(has_text="1060").first).to_be_visible()

    page.goto(page.url.split("/playground")[0])  # the Gallery again
    page.get_by_role("heading", name="Gallery").first.wait_for()
    run_from_gallery(page, "saved-approve_first")
    expect(page.get_by_text("Run this code?")).to_be_visible(timeout=30_000)
    page.get_by_text("Edit the code, or refuse it").click()
    page.get_by_label("Why not? (the agents read this)").fill("No loops over 100 today.")
    page.get_by_role("button", name="Refuse").click()
    expect(page.get_by_text(re.compile("You refused the code")).first).to_be_visible(
        timeout=30_000)
    expect(page.get_by_text(re.compile(r"Ran python"))).to_have_count(0)


def choose(page: Page, name: str) -> None:
    """Pick a template in the Playground's dropdown, without waiting for the page."""
    page.get_by_role("combobox", name="Template").click()
    page.get_by_role("option", name=name, exact=True).click()


def settled_on(page: Page, task: str) -> None:
    """Wait until the page shows one task box, holding ``task`` (while the choices before
    are redrawn, the box of an earlier one may be on the page next to the new one)."""
    page.wait_for_function(
        "([sel, task]) => { const boxes = document.querySelectorAll(sel);"
        " return boxes.length === 1 && boxes[0].value === task; }",
        arg=[".st-key-task_input textarea", task], timeout=60_000)
    expect(page.locator(".st-key-task_input textarea")).to_have_value(task)


def test_the_task_box_follows_the_chosen_template(app_page: Page, studio: StudioServer):
    page = app_page
    page.goto(f"{studio.url}/playground")
    page.get_by_role("heading", name="Playground").first.wait_for()
    specs = {k: load_bundled_template(k) for k in
             ("brainstorm", "teacher_student", "debate_judge", "tool_helper")}
    names = {k: s.name for k, s in specs.items()}
    box = page.locator(".st-key-task_input textarea")
    # choices in a fast row, each made while the page is still redrawing for the one before
    for sequence in (["teacher_student", "debate_judge", "tool_helper", "brainstorm"],
                     ["debate_judge", "teacher_student", "tool_helper", "debate_judge"],
                     ["brainstorm", "tool_helper", "teacher_student"]):
        for key in sequence:
            choose(page, names[key])
        last = sequence[-1]
        expect(page.get_by_role("combobox", name="Template")).to_have_value(names[last])
        settled_on(page, specs[last].default_task)
    # the person's own task for one template stays with that template, and only with it
    choose(page, names["brainstorm"])
    settled_on(page, specs["brainstorm"].default_task)
    box.fill("Plan a picnic for the reading club")
    page.locator(".st-key-run_button button").click()
    expect(page).to_have_url(re.compile(r"[?&]run=[0-9a-f]+"))
    page.get_by_text("Start another run: choose a template, model and task").click()
    settled_on(page, "Plan a picnic for the reading club")
    choose(page, names["debate_judge"])
    choose(page, names["teacher_student"])
    settled_on(page, specs["teacher_student"].default_task)
    choose(page, names["brainstorm"])
    settled_on(page, "Plan a picnic for the reading club")
