"""A workshop on ONE shared studio, three people in three browser contexts: the teacher
(administrator), Ann and Bob (members). Privacy by listing and by direct URL, a shared
template, the teacher's live view with Stop, a budget, joining with the code, sign-out, a
wrong password, lifting a lock-out, and ending access (seen at a click and at a reload). The tests run in file order and share the server and the contexts."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from studio.store import Actor, Store, actor_of

from .conftest import ARTIFACTS, TALL_VIEWPORT, VIEWPORT, StudioServer

PASSWORD = "workshop password 1"
LOCAL = Actor.local()
BUBBLES = '[data-testid="stChatMessage"]'
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    root = tmp_path_factory.mktemp("workshop")
    store = Store.open(data_dir=root / "data")
    teacher = actor_of(store.create_account(LOCAL, "teacher", PASSWORD, role="admin"))
    ann = actor_of(store.create_account(teacher, "ann", PASSWORD, display_name="Ann"))
    from studio.spec import load_bundled_template

    spec = load_bundled_template("human_in_the_loop").to_dict()
    spec["name"] = "Ann's email helper"
    store.save_template(ann, "Ann's email helper", spec)
    store.close()
    server = StudioServer(root / "data", root / "studio.log", args=("--shared",))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def people(browser: Any, workshop: StudioServer) -> Iterator[dict[str, Page]]:
    pages: dict[str, Page] = {}
    contexts = []
    for who in ("teacher", "ann", "bob"):
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        pages[who] = page
    yield pages
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _evidence(request: pytest.FixtureRequest, people: dict[str, Page],
              workshop: StudioServer) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for who, page in people.items():
            try:
                page.set_viewport_size(TALL_VIEWPORT)
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{who}.png"))
                page.set_viewport_size(VIEWPORT)
            except Exception:  # noqa: BLE001 - evidence is best effort
                pass
        (ARTIFACTS / f"{request.node.name}.server.log").write_text(workshop.log_tail(400))


def sign_in(page: Page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Sign in").first.wait_for()
    page.locator(".st-key-sign_in_name input").fill(name)
    page.locator(".st-key-sign_in_password input").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def session_cookie(page: Page, present: bool = True) -> dict[str, Any] | None:
    """The browser's session cookie, once it is there (or gone, with ``present=False``)."""
    for _ in range(300):  # the server answers the page's ticket within a moment
        cookie = next((c for c in page.context.cookies() if c["name"] == "rt_session"), None)
        if (cookie is not None) == present:
            return cookie
        page.wait_for_timeout(100)
    raise AssertionError(f"the session cookie is {'missing' if present else 'still there'}")


def signed_in_as(page: Page, name: str) -> None:
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()
    # the session cookie (what keeps people signed in across reloads) is in the browser,
    # set by the server where no script in the page can read it
    cookie = session_cookie(page)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "rt_session" not in page.evaluate("document.cookie")


def start_run(page: Page, url: str, template_key: str) -> str:
    """Start a run of a Gallery template on the Demo model; returns the run id."""
    page.goto(url)
    page.get_by_role("heading", name="Gallery").first.wait_for()
    page.locator(f".st-key-gallery_run_{template_key} button").click()  # one click runs it
    page.wait_for_url(re.compile(r"run=[0-9a-f]{32}"))
    expect(page.get_by_text("Waiting for you").first).to_be_visible(timeout=60_000)
    return re.search(r"run=([0-9a-f]{32})", page.url).group(1)  # type: ignore[union-attr]


def no_page_not_found(page: Page) -> None:
    """Streamlit's "Page not found" dialog (it covers the page's fields) is not there."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)


def sign_in_here(page: Page, name: str, password: str = PASSWORD) -> None:
    """Sign in on the page the browser shows now (no navigation first)."""
    page.get_by_role("heading", name="Sign in").first.wait_for()
    page.locator(".st-key-sign_in_name input").fill(name)
    page.locator(".st-key-sign_in_password input").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_wrong_password_is_refused_then_the_teacher_signs_in(people, workshop) -> None:
    page = people["teacher"]
    page.goto(f"{workshop.url}/history")  # any page: only the sign-in is served
    expect(page.get_by_role("heading", name="Sign in").first).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_have_count(0)
    sign_in(page, workshop.url, "teacher", "not the password")
    expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
    # the teacher opens the Workshop page by its link: the sign-in, then that page
    page.goto(f"{workshop.url}/workshop")
    expect(page.get_by_text("you go on to the Workshop page")).to_be_visible()
    no_page_not_found(page)
    sign_in_here(page, "teacher")
    signed_in_as(page, "teacher")
    expect(page.get_by_role("heading", name="Workshop")).to_be_visible()
    assert urlsplit(page.url).path == "/workshop"
    page.locator(".st-key-workshop_new_code button").click()
    code = page.locator("div", has_text=re.compile(r"^[A-Z2-9]{8}$")).last
    expect(code).to_be_visible()
    STATE["code"] = code.inner_text().strip()


def test_bob_joins_with_the_code_and_ann_signs_in(people, workshop) -> None:
    bob = people["bob"]
    bob.goto(workshop.url)
    bob.get_by_role("heading", name="Sign in").first.wait_for()
    bob.locator(".st-key-join_code input").fill(STATE["code"])
    bob.locator(".st-key-join_name input").fill("bob")
    bob.locator(".st-key-join_password input").fill(PASSWORD)
    bob.get_by_role("button", name="Join", exact=True).click()
    signed_in_as(bob, "bob")
    ann = people["ann"]
    dropped: list[str] = []

    def drop_the_first(route: Route) -> None:  # a flaky network loses the first request
        if not dropped:
            dropped.append(route.request.method)
            route.abort()
        else:
            route.continue_()

    ann.route("**/api/session", drop_the_first)
    sign_in(ann, workshop.url, "ann")
    signed_in_as(ann, "Ann")  # the page sent it again
    assert dropped == ["POST"]
    ann.unroute("**/api/session")
    ann.reload()  # the session survives a reload
    signed_in_as(ann, "Ann")


def test_anns_runs_models_and_drafts_are_invisible_to_bob(people, workshop) -> None:
    ann, bob = people["ann"], people["bob"]
    STATE["ann_run"] = run_id = start_run(ann, workshop.url, "human_in_the_loop")
    # Ann adds a model of her own and leaves a Builder draft
    ann.goto(f"{workshop.url}/models")
    ann.locator(".st-key-model_name input").fill("anns-model")
    ann.locator(".st-key-model_base_url input").fill("http://127.0.0.1:9/v1")
    ann.locator(".st-key-model_model input").fill("llama3.1")
    ann.locator(".st-key-model_key_env input").fill("")
    ann.get_by_role("button", name="Save model").click()
    expect(ann.get_by_text("Saved anns-model")).to_be_visible()
    ann.goto(f"{workshop.url}/builder")
    ann.locator(".st-key-builder_new button").click()
    expect(ann.get_by_text("New team: add agents")).to_be_visible()

    # Bob: not by listing...
    bob.goto(f"{workshop.url}/history")
    expect(bob.get_by_text("No runs yet")).to_be_visible()
    bob.goto(f"{workshop.url}/models")
    bob.get_by_role("heading", name="Your models").wait_for()
    expect(bob.get_by_text("anns-model")).to_have_count(0)
    bob.goto(workshop.url)
    bob.get_by_role("heading", name="Gallery").first.wait_for()
    expect(bob.get_by_text("Ann's email helper")).to_have_count(0)
    # ...nor by direct URL: no transcript, no Stop
    bob.goto(f"{workshop.url}/playground?run={run_id}")
    expect(bob.get_by_text("That run no longer exists")).to_be_visible()
    expect(bob.locator(BUBBLES)).to_have_count(0)
    expect(bob.locator(".st-key-stop_button")).to_have_count(0)
    # Bob's Builder draft is his own
    bob.goto(f"{workshop.url}/builder")
    expect(bob.get_by_text("Editing")).to_be_visible()
    expect(bob.get_by_text("(my copy)")).to_have_count(0)


def test_a_shared_template_appears_for_bob(people, workshop) -> None:
    ann, bob = people["ann"], people["bob"]
    ann.goto(workshop.url)
    toggle = ann.locator(".st-key-share_saved-Ann-s-email-helper")
    toggle.get_by_text("Shared with the workshop").click()
    expect(toggle.locator("input")).to_be_checked()
    bob.goto(workshop.url)
    expect(bob.get_by_text("shared by Ann")).to_be_visible()
    expect(bob.get_by_text("Ann's email helper").first).to_be_visible()


def test_the_teacher_sees_every_run_and_stops_anns(people, workshop) -> None:
    teacher, ann, bob = people["teacher"], people["ann"], people["bob"]
    STATE["bob_run"] = start_run(bob, workshop.url, "human_in_the_loop")
    teacher.goto(f"{workshop.url}/workshop")
    live = teacher.locator(".st-key-workshop_runs")
    expect(live.get_by_text("Ann", exact=True)).to_be_visible()
    expect(live.get_by_text("bob", exact=True)).to_be_visible()
    teacher.locator(f".st-key-workshop_stop_{STATE['ann_run']} button").click()
    expect(teacher.locator(f".st-key-workshop_stop_{STATE['ann_run']}")).to_have_count(0)
    ann.goto(f"{workshop.url}/playground?run={STATE['ann_run']}")
    expect(ann.get_by_text("Stopped").first).to_be_visible()
    expect(teacher.locator(f".st-key-workshop_stop_{STATE['bob_run']}")).to_be_visible()


def test_a_budget_stops_bobs_next_run_with_a_clear_message(people, workshop) -> None:
    teacher, bob = people["teacher"], people["bob"]
    teacher.goto(f"{workshop.url}/workshop")
    teacher.locator(".st-key-budget_runs input").fill("1")
    teacher.get_by_role("button", name="Save budget").click()
    expect(teacher.get_by_text("Budget saved")).to_be_visible()
    bob.goto(workshop.url)
    bob.get_by_role("heading", name="Gallery").first.wait_for()
    bob.locator(".st-key-gallery_run_human_in_the_loop button").click()
    expect(bob.get_by_text("Budget reached: you have 1 run going and may run 1 at a time")
           ).to_be_visible()


def test_sign_out_and_ending_access(people, workshop) -> None:
    teacher, ann, bob = people["teacher"], people["ann"], people["bob"]
    kept = session_cookie(bob)
    bob.locator(".st-key-sign_out button").click()
    expect(bob.get_by_role("heading", name="Sign in").first).to_be_visible()
    session_cookie(bob, present=False)  # cleared by the server
    assert kept is not None
    # and the session it held has ended: the old cookie, sent again, signs nobody in
    bob.context.add_cookies([{k: kept[k] for k in ("name", "value", "domain", "path",
                                                   "httpOnly", "sameSite")}])
    bob.reload()
    expect(bob.get_by_role("heading", name="Sign in").first).to_be_visible()
    bob.goto(f"{workshop.url}/history")
    expect(bob.get_by_role("heading", name="History")).to_have_count(0)
    # the teacher ends Ann's access: her next page run shows the sign-in
    teacher.goto(f"{workshop.url}/workshop")
    teacher.locator(".st-key-workshop_access_ann button").click()
    expect(teacher.get_by_text("access ended")).to_be_visible()
    # Ann's next click shows the sign-in, saying at once why
    expect(ann.get_by_text("Signed in as Ann")).to_be_visible()
    ann.locator('[data-testid="stSidebarNavLink"]', has_text="History").click()
    expect(ann.get_by_role("heading", name="Sign in").first).to_be_visible()
    expect(ann.get_by_text("Your access to this workshop has ended: ask the administrator."
                           )).to_be_visible()
    expect(ann.get_by_role("heading", name="History")).to_have_count(0)
    sign_in(ann, workshop.url, "ann")
    expect(ann.get_by_text("Your access to this workshop has ended")).to_be_visible()


def test_signing_out_ends_the_cookies_session_even_when_the_browser_keeps_it(
        people, workshop) -> None:
    """On a shared computer: someone signs in and out without reloading, and the browser's
    request to clear the cookie never arrives. The cookie's session has ended anyway."""
    bob = people["bob"]
    sign_in(bob, workshop.url, "bob")
    signed_in_as(bob, "bob")
    kept = session_cookie(bob)
    assert kept is not None

    def no_clearing(route: Route) -> None:
        if route.request.method == "DELETE":
            route.abort()
        else:
            route.continue_()

    bob.route("**/api/session", no_clearing)
    with bob.expect_request(lambda r: r.method == "DELETE" and r.url.endswith("/api/session")):
        bob.locator(".st-key-sign_out button").click()
    expect(bob.get_by_role("heading", name="Sign in").first).to_be_visible()
    still = session_cookie(bob)
    assert still is not None and still["value"] == kept["value"]
    bob.unroute("**/api/session")
    bob.reload()
    expect(bob.get_by_role("heading", name="Sign in").first).to_be_visible()
    expect(bob.get_by_text("Signed in as bob")).to_have_count(0)


def test_a_shared_link_opens_its_page_once_signed_in(people, workshop) -> None:
    """A teacher shares a link to a run: signed out, it shows the sign-in (no "Page not
    found" over the form), then the run it named; a member gets a clear word on the
    administrators' pages."""
    bob = people["bob"]
    link = f"{workshop.url}/playground?run={STATE['bob_run']}"
    bob.goto(link)
    expect(bob.get_by_text("you go on to the Playground page")).to_be_visible()
    no_page_not_found(bob)
    assert bob.url == link, "the link stays in the address bar"
    sign_in_here(bob, "bob")
    signed_in_as(bob, "bob")
    expect(bob.get_by_role("heading", name="Playground")).to_be_visible()
    expect(bob.locator(BUBBLES).first).to_be_visible()  # his run, by the link's ?run=
    assert bob.url == link
    for path, title in (("workshop", "Workshop"), ("deploy", "Deploy")):
        bob.goto(f"{workshop.url}/{path}")
        expect(bob.get_by_text(f"Only administrators can open the {title} page")).to_be_visible()
        no_page_not_found(bob)
    expect(bob.locator(".st-key-workshop_new_code")).to_have_count(0)
    expect(bob.locator(".st-key-deploy_key_form")).to_have_count(0)


def test_the_gallerys_own_url_opens_it_signed_in_or_not(people, workshop) -> None:
    """/gallery (the default page's own path, which the sign-in also names) opens the
    Gallery at /, not "Page not found": signed in, and after signing in from it."""
    bob = people["bob"]
    gallery = bob.locator(".st-key-gallery_run_human_in_the_loop button")
    bob.goto(f"{workshop.url}/gallery")
    expect(gallery).to_be_visible()
    assert urlsplit(bob.url).path == "/"
    no_page_not_found(bob)
    bob.locator(".st-key-sign_out button").click()
    expect(bob.get_by_role("heading", name="Sign in").first).to_be_visible()
    bob.goto(f"{workshop.url}/gallery")
    expect(bob.get_by_text("you go on to the Gallery page")).to_be_visible()
    no_page_not_found(bob)
    sign_in_here(bob, "bob")
    signed_in_as(bob, "bob")
    expect(gallery).to_be_visible()
    assert urlsplit(bob.url).path == "/"
    no_page_not_found(bob)


def test_the_teacher_lets_a_locked_out_member_try_again_at_once(people, workshop) -> None:
    """Bob forgets his password five times: he must wait, the Workshop shows him locked
    (the wait in words, not a clock time), and the teacher lets him try again now."""
    teacher, bob = people["teacher"], people["bob"]
    bob.locator(".st-key-sign_out button").click()
    for _ in range(5):
        sign_in(bob, workshop.url, "bob", "not his password")
        expect(bob.get_by_text("Wrong user name or password.")).to_be_visible()
    sign_in(bob, workshop.url, "bob")  # the right one, too late
    expect(bob.get_by_text(re.compile(r"Too many wrong passwords for this name: try again "
                                      r"in \d+ minutes?\."))).to_be_visible()
    teacher.goto(f"{workshop.url}/workshop")
    locked = teacher.locator(".st-key-workshop_locked_bob")
    expect(locked).to_have_text(re.compile(
        r"bob typed too many wrong passwords: locked for \d+ more minutes?\."))
    expect(teacher.locator(".st-key-workshop_locked_ann")).to_have_count(0)
    teacher.locator(".st-key-workshop_unlock_bob button").click()
    expect(teacher.get_by_text("bob may try again now.")).to_be_visible()
    expect(locked).to_have_count(0)
    expect(teacher.locator(".st-key-workshop_unlock_bob")).to_have_count(0)
    sign_in_here(bob, "bob")
    signed_in_as(bob, "bob")


def test_a_reload_after_the_teacher_ends_access_says_why(people, workshop) -> None:
    """Bob reloads the page (rather than click) after the teacher ended his access: the
    cookie signs nobody in, and the sign-in says why, once; then the cookie is gone."""
    teacher, bob = people["teacher"], people["bob"]
    expect(bob.get_by_text("Signed in as bob")).to_be_visible()
    teacher.goto(f"{workshop.url}/workshop")
    teacher.locator(".st-key-workshop_access_bob button").click()
    expect(teacher.get_by_text("End access: bob.")).to_be_visible()
    bob.reload()
    expect(bob.get_by_role("heading", name="Sign in").first).to_be_visible()
    expect(bob.get_by_text("Your access to this workshop has ended: ask the administrator."
                           )).to_be_visible()
    expect(bob.get_by_text("Signed in as bob")).to_have_count(0)
    session_cookie(bob, present=False)  # cleared by the server, its session ended
    bob.reload()
    expect(bob.get_by_role("button", name="Sign in", exact=True)).to_be_visible()  # drawn last
    expect(bob.get_by_text("Your access to this workshop has ended")).to_have_count(0)


def test_the_cookie_route_takes_only_a_fresh_ticket_from_the_studios_own_pages(
        workshop: StudioServer) -> None:
    """Another site cannot sign a browser in or out (its Origin is refused), and nothing
    but a live ticket sets a cookie."""
    url = f"{workshop.url}/api/session"
    host = urlsplit(workshop.url).netloc
    for headers in ({}, {"Origin": "http://evil.example"}):
        for method in ("POST", "DELETE"):
            assert _status(url, method, headers, b"x") == 403, (method, headers)
    assert _status(url, "POST", {"Origin": f"http://{host}"}, b"made-up-ticket") == 403


def _status(url: str, method: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_key_file_and_logs_hold_no_password(workshop) -> None:
    log = Path(workshop.log_path).read_text(errors="replace")
    assert PASSWORD not in log
