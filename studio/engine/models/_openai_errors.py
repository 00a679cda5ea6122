"""Turning failed requests into :class:`ModelError` messages that say what to fix.

The SDK's exceptions arrive already described as plain data (:class:`SdkError`, made by
the adapter), so this module does not import the SDK. No message ever holds the API key:
every text taken from a server goes through :func:`scrub` first.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._interface import ModelError

if TYPE_CHECKING:
    from ._openai_sdk import SdkError


@dataclass
class Failure:
    """One failed attempt: the error to raise and, when retryable, the server's wait hint."""

    error: ModelError
    retry_after: float | None = None


@dataclass(frozen=True)
class Where:
    """Who failed, for the messages: the model's label, URL and name, and its settings."""

    label: str
    url: str
    model: str
    key_hint: str
    secret: str | None
    timeout: float


def scrub(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def _server_message(error: SdkError) -> tuple[str, str]:
    """(message, code) from an error body, whatever its shape."""
    body: Any = error.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("message") or ""), str(body.get("code") or body.get("type") or "")
    if isinstance(body, str):
        return body.strip()[:200], ""
    return error.text, ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        if lowered.get("retry-after-ms"):
            return float(lowered["retry-after-ms"]) / 1000
        value = lowered.get("retry-after")
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            return max(0.0, parsed.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _pieces(received: int) -> str:
    return "before anything arrived" if received == 0 else \
        f"after {received} piece{'s' if received != 1 else ''} of the answer"


def broken_stream(error: SdkError, where: Where, received: int) -> Failure:
    """The connection failed after the server had started answering."""
    cause = scrub(error.text, where.secret)
    if error.kind == "timeout":
        return Failure(ModelError(
            f"{where.label}: {where.url} stopped sending for {where.timeout:g} s in the middle of "
            f"its answer ({_pieces(received)}): the model may be stuck; raise the model's timeout "
            f"(now {where.timeout:g} s) or look at the server", kind="timeout", retryable=True))
    if error.kind == "stream_error":
        return Failure(ModelError(f"{where.label}: {where.url} reported an error in the middle of its "
                                  f"answer ({_pieces(received)}): {cause}", kind="server",
                                  retryable=True))
    return Failure(ModelError(
        f"{where.label}: the connection to {where.url} broke in the middle of the answer "
        f"({_pieces(received)}; {cause}): the server may have crashed or restarted; look at its log",
        kind="server", retryable=True))


def unfinished_stream(where: Where, received: int) -> Failure:
    """The stream ended cleanly but the model never said it had finished."""
    return Failure(ModelError(
        f"{where.label}: the answer from {where.url} ended before the model finished "
        f"(no finish reason, {_pieces(received)}): the server may have failed while answering "
        "(crashed, out of memory); look at its log", kind="server", retryable=True))


def translate(error: SdkError, where: Where) -> Failure:
    """Map one failed request (no answer read yet) to a :class:`Failure`."""
    label, url = where.label, where.url
    if error.kind == "timeout":
        return Failure(ModelError(
            f"{label}: {url} did not answer within {where.timeout:g} s: the server may be busy "
            f"or still loading the model; raise the model's timeout (now {where.timeout:g} s) "
            "or try again", kind="timeout", retryable=True))
    if error.kind == "connect":
        if error.refused:
            text = (f"{label}: no server is listening at {url}: start the model server "
                    "(e.g. `ollama serve`) or fix the base URL")
        else:
            cause = scrub(error.text, where.secret)
            text = f"{label}: could not connect to {url} ({cause}): check the base URL and the network"
        return Failure(ModelError(text, kind="connection", retryable=True))
    if error.kind in ("broken", "stream_error"):
        cause = scrub(error.text, where.secret)
        return Failure(ModelError(
            f"{label}: {url} closed the connection without a complete answer ({cause}): the server "
            "may have crashed or restarted; look at its log", kind="server", retryable=True))
    if error.kind != "status" or error.status is None:
        text = scrub(error.text, where.secret)
        return Failure(ModelError(f"{label}: the request failed: {text}", kind="bad_request"))
    status = error.status
    message, code = _server_message(error)
    message = scrub(message, where.secret)
    said = f" (the server said: {message})" if message else ""
    if status in (401, 403):
        return Failure(ModelError(
            f"{label}: the API key was rejected by {url} (HTTP {status}){said}: {where.key_hint}",
            kind="auth", status=status))
    if status == 429:
        if code == "insufficient_quota":
            return Failure(ModelError(f"{label}: the account is out of quota (HTTP 429){said}: "
                                      "add credit or use another key", kind="rate_limit", status=status))
        return Failure(ModelError(f"{label}: rate limited by {url} (HTTP 429){said}", kind="rate_limit",
                                  retryable=True, status=status), _retry_after(error.headers))
    if status >= 500 or status in (408, 409):
        return Failure(ModelError(f"{label}: the server at {url} failed (HTTP {status}){said}",
                                  kind="server", retryable=True, status=status),
                       _retry_after(error.headers))
    if status == 404 and _about_model(message, code, where.model):
        return Failure(ModelError(f"{label}: model '{where.model}' is not served by {url}{said}",
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
