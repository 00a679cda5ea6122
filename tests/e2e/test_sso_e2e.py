"""Single sign-on through Streamlit's own OIDC login (``st.login``), against a real OpenID
Connect provider on loopback (the PyPI package ``oidc-provider-mock``): the first sign-in
makes a member account, a reload keeps it, sign-out ends it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from studio.store import Actor, Store

from .conftest import ARTIFACTS, TALL_VIEWPORT, VIEWPORT, StudioServer

LOCAL = Actor.local()
CLIENT_SECRET = "sso-client-secret-for-tests"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from oidc_provider_mock import User, run_server_in_thread

    carla = User(sub="carla", claims={"email": "carla@school.example", "name": "Carla"})
    with run_server_in_thread(port=0, user_claims=[carla]) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def sso_studio(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[StudioServer]:
    root = tmp_path_factory.mktemp("sso")
    store = Store.open(data_dir=root / "data")
    store.create_account(LOCAL, "teacher", "teacher password", role="admin")
    store.close()
    os.environ["ROUNDTABLE_SSO_CLIENT_SECRET"] = CLIENT_SECRET
    server = StudioServer(root / "data", root / "studio.log",
                          args=("--shared", "--sso-issuer", provider,
                                      "--sso-client-id", "roundtable-studio"))
    try:
        server.start()
        yield server
    finally:
        os.environ.pop("ROUNDTABLE_SSO_CLIENT_SECRET", None)
        server.stop()


def test_single_sign_on_makes_a_member_who_stays_signed_in(browser: Any,
                                                           sso_studio: StudioServer,
                                                           request: pytest.FixtureRequest) -> None:
    # the redirect goes to http://localhost:PORT (the default public URL)
    url = sso_studio.url.replace("127.0.0.1", "localhost")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(url)
        page.get_by_role("button", name="Sign in with single sign-on").click()
        page.get_by_role("heading", name="Authorize Client").wait_for()
        page.get_by_role("button", name="carla").click()
        expect(page.get_by_text("Signed in as Carla")).to_be_visible()
        page.reload()
        expect(page.get_by_text("Signed in as Carla")).to_be_visible()
        store = Store.open(data_dir=sso_studio.data_dir)
        (carla,) = [a for a in store.list_accounts(LOCAL) if a.sso]
        assert (carla.name, carla.role) == ("carla@school.example", "member")
        page.locator(".st-key-sign_out button").click()
        # st.logout also ends the session at the provider (RP-initiated logout)
        page.get_by_role("heading", name="End Session").wait_for()
        page.goto(url)
        expect(page.get_by_role("heading", name="Sign in").first).to_be_visible()
        expect(page.get_by_text("Signed in as Carla")).to_have_count(0)
        log = Path(sso_studio.log_path).read_text(errors="replace")
        assert CLIENT_SECRET not in log
        secrets_file = sso_studio.data_dir / "sso_secrets.toml"
        assert secrets_file.stat().st_mode & 0o777 == 0o600
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.set_viewport_size(TALL_VIEWPORT)
        page.screenshot(path=str(ARTIFACTS / "sso.png"))
        (ARTIFACTS / "sso.server.log").write_text(sso_studio.log_tail(200))
        raise
    finally:
        context.close()
