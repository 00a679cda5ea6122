"""The one module that calls into the ``openai`` SDK.

Everything the OpenAI-compatible client needs from the SDK goes through here: building
the client (auth, Azure routing), posting pre-built JSON bytes through its lower-level
``post`` (``content=`` needs openai >= 2.16), reading a streamed reply, dropping a broken
connection, and describing the SDK's exceptions as plain data. Nothing else in the engine
imports ``openai``, and this module is imported only when an OpenAI-compatible model is
built, so commands that call no model never pay for the SDK's import.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import openai
from openai import Stream

# ``security`` asks newer SDKs for the bearer header; older ones ignore the key.
_OPTIONS: Any = {"security": {"bearer_auth": True}, "headers": {"Content-Type": "application/json"}}
_CHAT = "/chat/completions"

ErrorKind = Literal["timeout", "connect", "broken", "status", "stream_error", "other"]


@dataclass
class SdkError:
    """An SDK or transport exception as plain data (see :func:`describe`).

    ``kind``: timeout (nothing arrived in time), connect (no connection was made),
    broken (the connection failed after it was made), status (an HTTP error status),
    stream_error (an error event inside a stream), other.
    """

    kind: ErrorKind
    text: str
    status: int | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    refused: bool = False


class SdkClient:
    """An ``openai.OpenAI`` / ``openai.AzureOpenAI`` client with the SDK's retries off."""

    def __init__(self, *, api_key: str, base_url: str | None, azure: bool, api_version: str,
                 deployment: str | None, timeout: float) -> None:
        if not azure:
            self._client: openai.OpenAI = openai.OpenAI(api_key=api_key, base_url=base_url,
                                                        timeout=timeout, max_retries=0)
        elif base_url is not None and "/deployments/" in base_url:
            self._client = openai.AzureOpenAI(api_key=api_key, base_url=base_url,
                                              api_version=api_version, timeout=timeout,
                                              max_retries=0)
        else:
            self._client = openai.AzureOpenAI(api_key=api_key, azure_endpoint=str(base_url),
                                              azure_deployment=deployment, api_version=api_version,
                                              timeout=timeout, max_retries=0)
        self.url = str(self._client.base_url).rstrip("/")

    def post(self, body: bytes, *, timeout: float | None = None) -> Any:
        """POST a chat-completions body; the parsed JSON (or text) of the reply."""
        client = self._client if timeout is None else self._client.with_options(timeout=timeout)
        return client.post(_CHAT, cast_to=object, content=body, options=_OPTIONS)

    def stream(self, body: bytes) -> OpenStream:
        """POST a streaming body; returns once the response headers have arrived."""
        events: Stream[object] = self._client.post(_CHAT, cast_to=object, content=body,
                                                   options=_OPTIONS, stream=True,
                                                   stream_cls=Stream[object])
        return OpenStream(events)

    def get(self, path: str, *, timeout: float) -> Any:
        return self._client.with_options(timeout=timeout).get(path, cast_to=object, options=_OPTIONS)


class OpenStream:
    """A streamed reply whose headers have arrived."""

    def __init__(self, events: Stream[object]) -> None:
        self._events = events
        self.content_type = str(events.response.headers.get("content-type", ""))

    @property
    def is_event_stream(self) -> bool:
        return "event-stream" in self.content_type

    def __iter__(self) -> Iterator[Any]:
        return iter(self._events)

    def body(self) -> Any:
        """The whole body of a reply that is not an event stream: JSON, or its text."""
        response = self._events.response
        response.read()
        return response.json() if "json" in self.content_type else response.text

    def discard(self) -> None:
        """Shut the connection down, so that it is never reused and a reader blocked on it
        wakes up (best effort: where the socket cannot be reached, closing still drops it)."""
        try:
            stream = self._events.response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # noqa: BLE001 - already closed, or another transport
            pass

    def close(self) -> None:
        try:
            self._events.close()
        except Exception:  # noqa: BLE001 - closing a broken stream may fail again
            pass


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def _refused(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectionRefusedError) or "refused" in str(e).lower()
               for e in _chain(exc))


def _cause_text(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    text = str(cause).strip()
    return text or type(cause).__name__


def describe(exc: BaseException) -> SdkError:
    """What went wrong, without the SDK's or the HTTP library's types.

    Errors raised while a stream is read come straight from the HTTP library (httpx in
    openai 2.x, httpx2 in 3.x); they are recognised by their class names, which both share.
    """
    if isinstance(exc, openai.APITimeoutError):
        return SdkError("timeout", _cause_text(exc))
    if isinstance(exc, openai.APIConnectionError):
        connect = any({"ConnectError", "ConnectTimeout"} & _names(e) for e in _chain(exc))
        refused = _refused(exc)
        return SdkError("connect" if connect or refused else "broken", _cause_text(exc), refused=refused)
    if isinstance(exc, openai.APIStatusError):
        try:
            text = exc.response.text.strip()[:200]
        except Exception:  # noqa: BLE001 - a streamed body that was not read
            text = ""
        return SdkError("status", text, status=exc.status_code, body=exc.body,
                        headers=dict(exc.response.headers))
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return SdkError("stream_error", str(exc.message or exc), body=exc.body)
    names = _names(exc)
    if "TimeoutException" in names:
        return SdkError("timeout", str(exc) or type(exc).__name__)
    if "TransportError" in names:
        return SdkError("broken", str(exc) or type(exc).__name__, refused=_refused(exc))
    return SdkError("other", f"{type(exc).__name__}: {exc}")
