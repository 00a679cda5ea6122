"""The session cookie's route (studio/app/_session_cookie.py), served in-process over ASGI
with a real store: only a live ticket from the studio's own pages sets the cookie, which
is HttpOnly (and Secure on https); behind the compose proxy the browser's own address is
what counts; signing out through it ends the whole sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from studio.app._session_cookie import COOKIE, session_routes
from studio.store import Actor, Store

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(None, tmp_path)
    opened.create_account(Actor.local(), "ann", PASSWORD)
    try:
        yield opened
    finally:
        opened.close()


def _client(store: Store, base: str = "") -> TestClient:
    app = Starlette(routes=session_routes(lambda: store, base=base))
    return TestClient(app, base_url="http://localhost:8080")


def _ticket(store: Store) -> tuple[str, str]:
    page = store.start_session(store.sign_in("ann", PASSWORD))
    return page, store.cookie_ticket(page)


def test_only_a_live_ticket_from_the_studios_own_pages_sets_an_httponly_cookie(
        store: Store) -> None:
    client = _client(store)
    page, ticket = _ticket(store)
    for origin in (None, "http://evil.example", "http://localhost:9999"):
        headers = {"Origin": origin} if origin else {}
        answer = client.post("/api/session", content=ticket, headers=headers)
        assert answer.status_code == 403 and COOKIE not in answer.cookies, origin
    answer = client.post("/api/session", content="made-up", headers={"Origin": "http://localhost:8080"})
    assert answer.status_code == 403
    # the refused requests did not spend the ticket
    answer = client.post("/api/session", content=ticket, headers={"Origin": "http://localhost:8080"})
    assert answer.status_code == 204
    set_cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert "Secure" not in set_cookie and "Path=/" in set_cookie
    token = answer.cookies[COOKIE]
    assert token != page and store.session_actor(token) == store.session_actor(page)
    assert client.post("/api/session", content=ticket,
                       headers={"Origin": "http://localhost:8080"}).status_code == 403, "once"


def test_behind_the_proxy_the_browsers_address_counts_and_https_makes_it_secure(
        store: Store) -> None:
    client = _client(store)
    _, ticket = _ticket(store)
    # nginx passes Host without the port; X-Forwarded-Host is the address the browser used
    proxied = {"Host": "localhost", "Origin": "https://localhost:8443"}
    assert client.post("/api/session", content=ticket, headers=proxied).status_code == 403
    answer = client.post("/api/session", content=ticket,
                         headers={**proxied, "X-Forwarded-Host": "localhost:8443"})
    assert answer.status_code == 204 and "Secure" in answer.headers["set-cookie"]


def test_under_a_base_path_and_signing_out_ends_the_whole_sign_in(store: Store) -> None:
    client = _client(store, base="/studio/")
    page, ticket = _ticket(store)
    own = {"Origin": "http://localhost:8080"}
    assert client.post("/api/session", content=ticket, headers=own).status_code == 404
    answer = client.post("/studio/api/session", content=ticket, headers=own)
    assert answer.status_code == 204
    token = answer.cookies[COOKIE]
    assert client.delete("/studio/api/session", headers={"Origin": "http://evil.example"}
                         ).status_code == 403
    assert store.session_actor(token) is not None, "another site cannot sign anyone out"
    client.cookies.set(COOKIE, token)
    answer = client.delete("/studio/api/session", headers=own)
    assert answer.status_code == 204 and 'rt_session=""' in answer.headers["set-cookie"]
    assert store.session_actor(token) is None and store.session_actor(page) is None
