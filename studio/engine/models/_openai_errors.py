"""Turning ``openai`` SDK exceptions into :class:`ModelError` messages that say what to fix.

No message ever holds the API key: every text taken from a server goes through
:func:`scrub` first.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import openai

from ._interface import ModelError


@dataclass
class Failure:
    """One failed attempt: the error to raise and, when retryable, the server's wait hint."""

    error: ModelError
    retry_after: float | None = None


def scrub(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def _server_message(exc: openai.APIStatusError) -> tuple[str, str]:
    """(message, code) from an error body, whatever its shape."""
    body: Any = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("message") or ""), str(body.get("code") or body.get("type") or "")
    if isinstance(body, str):
        return body.strip()[:200], ""
    try:
        return exc.response.text.strip()[:200], ""
    except Exception:  # a streamed body that was not read
        return "", ""


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            return max(0.0, parsed.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def translate(exc: Exception, *, label: str, url: str, model: str, key_hint: str,
              secret: str | None) -> Failure:
    """Map one SDK exception to a :class:`Failure`."""
    if isinstance(exc, openai.APITimeoutError):
        return Failure(ModelError(f"{label}: {url} did not answer in time: the server may be overloaded; "
                                  "raise the timeout or try again", kind="timeout", retryable=True))
    if isinstance(exc, openai.APIConnectionError):
        if _refused(exc):
            text = (f"{label}: no server is listening at {url}: start the model server "
                    "(e.g. `ollama serve`) or fix the base URL")
        else:
            cause = scrub(str(exc.__cause__ or exc), secret)
            text = f"{label}: could not connect to {url} ({cause}): check the base URL and the network"
        return Failure(ModelError(text, kind="connection", retryable=True))
    if not isinstance(exc, openai.APIStatusError):
        text = scrub(f"{type(exc).__name__}: {exc}", secret)
        return Failure(ModelError(f"{label}: the request failed: {text}", kind="bad_request"))
    status = exc.status_code
    message, code = _server_message(exc)
    message = scrub(message, secret)
    said = f" (the server said: {message})" if message else ""
    if status in (401, 403):
        return Failure(ModelError(
            f"{label}: the API key was rejected by {url} (HTTP {status}){said}: {key_hint}",
            kind="auth", status=status))
    if status == 429:
        if code == "insufficient_quota":
            return Failure(ModelError(f"{label}: the account is out of quota (HTTP 429){said}: "
                                      "add credit or use another key", kind="rate_limit", status=status))
        return Failure(ModelError(f"{label}: rate limited by {url} (HTTP 429){said}", kind="rate_limit",
                                  retryable=True, status=status), _retry_after(exc))
    if status >= 500 or status in (408, 409):
        return Failure(ModelError(f"{label}: the server at {url} failed (HTTP {status}){said}",
                                  kind="server", retryable=True, status=status), _retry_after(exc))
    if status == 404 and _about_model(message, code, model):
        return Failure(ModelError(f"{label}: model '{model}' is not served by {url}{said}",
                                  kind="not_found", status=status))
    if status in (404, 405):
        return Failure(ModelError(
            f"{label}: {url}/chat/completions does not exist (HTTP {status}): check the base URL: "
            "it usually ends in /v1 (e.g. http://localhost:11434/v1)", kind="bad_url", status=status))
    return Failure(ModelError(f"{label}: the request was refused (HTTP {status}){said}",
                              kind="bad_request", status=status))


def _about_model(message: str, code: str, model: str) -> bool:
    lowered = message.lower()
    return (code in ("model_not_found", "DeploymentNotFound")
            or (bool(model) and model.lower() in lowered)
            or "model" in lowered or "deployment" in lowered)
