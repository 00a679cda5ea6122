"""Every error leaves the service in one shape (OpenAI's), with a status that says whose
fault it is and a message that says what to do."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ._schemas import ErrorBody

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 409: "conflict_error",
          413: "invalid_request_error", 429: "rate_limit_error"}


class ApiError(Exception):
    """An answer other than success: ``status``, a message saying what to do, a stable
    ``code`` for programs."""

    def __init__(self, status: int, message: str, code: str | None = None, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, self.code)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation may give (bad request, no key, rate limit, and
    ``statuses``), for its OpenAPI description."""
    return {status: {"model": ErrorBody} for status in (400, 401, 429, *statuses)}


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "code": code}}


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def describe_validation(exc: RequestValidationError) -> str:
    """The request's problems in one line: ``task: String should have at most 20000
    characters; model: ...``."""
    problems = []
    for error in exc.errors()[:5]:
        loc = tuple(error.get("loc") or ())
        if error.get("type") == "json_invalid":
            problems.append("the body is not valid JSON")
            continue
        problems.append(f"{_where(loc)}: {error.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(400, "invalid request: " + describe_validation(exc),
                                       "invalid_request"), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404:
            message = ("no such endpoint; GET /api/templates lists the served templates and "
                       "/docs describes the API")
        elif exc.status_code == 405:
            message = f"this endpoint does not take that method ({exc.detail})"
        return JSONResponse(error_body(exc.status_code, message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        text = " ".join(str(exc).split()) or type(exc).__name__
        return JSONResponse(error_body(500, f"the service failed: {text}", "internal_error"),
                            status_code=500)
