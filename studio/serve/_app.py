"""The ASGI app: the native API, the OpenAI-compatible API, CORS and the error shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from ._auth import Gate
from ._errors import install_handlers
from ._native import router as native_router
from ._openai import router as openai_router
from ._schemas import Health
from ._service import Teams

DESCRIPTION = """\
Teams built in Roundtable Studio, as an HTTP service.

- **Native API** (`/api`): start a run of a served template, follow its events live as
  Server-Sent Events (the same events as `roundtable run --json`; reconnect with
  `Last-Event-ID` to go on where you left), answer what the agents ask (code approvals
  included), step in, pause, resume, stop, and read the transcript. Runs are stored like any
  other and show in the studio's History.
- **OpenAI-compatible** (`/v1`): `POST /v1/chat/completions` with a served template's name
  as the `model`; the last user message is the task and the answer is the run's summary.

Send an API key as `Authorization: Bearer <key>` (keys are made on the studio's Deploy
page); it is required whenever the service listens beyond this machine.
"""


def create_app(teams: Teams, gate: Gate, *, cors_origins: tuple[str, ...] = (),
               runner: str = "in-process") -> FastAPI:
    """The service for ``teams``, with ``gate`` checking who calls. CORS is off unless
    ``cors_origins`` names the web origins allowed to call from a browser."""
    # the interactive API page at /docs, with Swagger UI served by the service itself
    # (FastAPI's own page loads it from a CDN: blank offline)
    app = FastAPIOffline(title="Roundtable Studio: served teams", version="1",
                         description=DESCRIPTION, redoc_url=None)
    app.state.teams = teams
    app.state.gate = gate
    install_handlers(app)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "Last-Event-ID",
                                          "X-API-Key"],
                           expose_headers=["Location", "Retry-After", "X-Roundtable-Run-Id"],
                           max_age=600)

    @app.get("/health", response_model=Health, tags=["service"],
             summary="Whether the service is up (no key needed)")
    def health() -> Health:
        return Health(keys_required=gate.require_keys, runner=runner)

    app.include_router(native_router)
    app.include_router(openai_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's description, with our one error shape in place of its 422 (validation
    errors answer 400, as OpenAI's API does)."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if any(p.get("in") in ("query", "path", "header")
                   for p in operation.get("parameters", [])) or "requestBody" in operation:
                responses.setdefault("400", {"description": "Invalid request", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema
