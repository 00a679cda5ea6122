"""The session cookie, set and cleared by the web server itself so that it is ``HttpOnly``:
no script in the page can read it, so a script slipped into the page cannot carry a
person's session away.

Signing in happens in a page run, which cannot send HTTP headers. So the page gets a
single-use ticket (good for two minutes, see ``Store.cookie_ticket``), and the browser
posts it to ``POST /api/session`` (under the server's base URL path); the server trades it for a session of the same person
and answers with the cookie. ``DELETE /api/session`` ends the cookie's session and clears
the cookie. Both refuse requests from another site (their ``Origin`` must be this host).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from studio.store import SESSION_DAYS, Store

COOKIE = "rt_session"
SESSION_PATH = "/api/session"


def _same_site(request: Request) -> bool:
    """The request came from one of this studio's own pages (a browser always sends
    ``Origin`` on a POST or DELETE made by a script)."""
    origin = request.headers.get("origin")
    if not origin:
        return False
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or ""
    return urlsplit(origin).netloc.lower() == host.split(",")[0].strip().lower()


def _secure(request: Request) -> bool:
    """Whether the page was served over https (its ``Origin``, checked already, says so
    even behind a proxy that speaks plain http to the studio)."""
    return urlsplit(request.headers.get("origin") or "").scheme == "https"


def session_routes(store: Callable[[], Store], base: str = "") -> list[Route]:
    """The cookie's two routes, under the server's base URL path ``base``; ``store`` gives
    the studio's store when first needed."""

    def redeem(ticket: str) -> str | None:
        return store().redeem_cookie_ticket(ticket)

    def end(token: str | None) -> None:
        store().end_session(token)

    async def cookie(request: Request) -> Response:
        if not _same_site(request):
            return Response("refused: not from this studio's pages", status_code=403)
        if request.method == "POST":
            ticket = (await request.body()).decode("utf-8", "replace").strip()
            token = await run_in_threadpool(redeem, ticket)
            if token is None:
                return Response("that ticket is unknown, used or expired", status_code=403)
            answer = Response(status_code=204)
            answer.set_cookie(COOKIE, token, max_age=int(SESSION_DAYS * 86400), path="/",
                              httponly=True, samesite="strict", secure=_secure(request))
            return answer
        await run_in_threadpool(end, request.cookies.get(COOKIE))
        answer = Response(status_code=204)
        answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                             secure=_secure(request))
        return answer

    path = "/" + "/".join(p for p in (base.strip("/"), SESSION_PATH.strip("/")) if p)
    return [Route(path, cookie, methods=["POST", "DELETE"])]
