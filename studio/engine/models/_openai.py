"""The OpenAI-compatible model client: OpenAI, Azure OpenAI, or any server by base URL.

It keeps the official ``openai`` SDK client (auth, Azure routing, error types) but sends
pre-built JSON bytes through the SDK's lower-level ``post``, skipping the per-request
parameter transformation of ``chat.completions.create`` that grows with the history.
Retries are ours (one policy: backoff with jitter, honouring Retry-After); the SDK's are
off. HTTP runs on a worker thread so that a cancel returns at once, even while the
server is silent.
"""

from __future__ import annotations

import os
import queue
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import openai
from openai import Stream

from .._control import Cancelled
from .._messages import Message
from ._interface import ModelError, ModelRequest, ModelResponse, TokenCallback
from ._openai_errors import Failure, scrub, translate
from ._openai_wire import PrefixCache, StreamAssembler, build_body, parse_completion

if TYPE_CHECKING:
    from .._control import CancelToken

ApiType = Literal["openai", "azure"]
_DEFAULT_AZURE_VERSION = "2024-10-21"
_OPTIONS: Any = {"security": {"bearer_auth": True}, "headers": {"Content-Type": "application/json"}}
_IO = ThreadPoolExecutor(max_workers=32, thread_name_prefix="openai-io")
_CANCELLED = ("cancelled", None)
_PING = Message(role="user", content="Reply with the word OK.")


class OpenAIChatModel:
    """A chat model behind an OpenAI-compatible API.

    ``price`` overrides the (input, output) USD price per 1M tokens. ``default_settings``
    (temperature, max_tokens, ...) apply to every request under the request's own.
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str | None = None, api_type: ApiType = "openai",
                 api_version: str | None = None, azure_deployment: str | None = None,
                 timeout: float = 60.0, max_retries: int = 4, price: tuple[float, float] | None = None,
                 label: str | None = None, default_settings: dict[str, Any] | None = None,
                 retry_base_delay: float = 0.5, retry_max_delay: float = 30.0) -> None:
        if not model:
            raise ModelError("the model name is empty: set it (e.g. 'gpt-4o-mini')", kind="bad_request")
        if api_type not in ("openai", "azure"):
            raise ModelError(f"api_type {api_type!r} is unknown: use 'openai' or 'azure'", kind="bad_request")
        self.model = model
        self.api_type = api_type
        self.price = price
        self.max_retries = max(0, int(max_retries))
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.default_settings = dict(default_settings or {})
        self._include_usage = True
        self._prefixes = PrefixCache()
        azure = api_type == "azure"
        env_name = api_key_env or ("AZURE_OPENAI_API_KEY" if azure else "OPENAI_API_KEY")
        self.label = label or _default_label(model, base_url, azure)
        self._key_hint = (f"set {env_name} (or the model's API key) to a valid key"
                          if not api_key else "check the API key given for this model")
        key = api_key or os.environ.get(env_name) or None
        if key is None:
            if azure or base_url is None or api_key_env:
                raise ModelError(f"{self.label}: no API key: set the {env_name} environment variable "
                                 "or give the model an API key", kind="auth")
            key = "not-needed"  # local servers (Ollama, LM Studio, vLLM...) accept any key
        self._secret = key
        self._client = self._make_client(key, base_url, azure, api_version, azure_deployment, timeout)
        self.url = str(self._client.base_url).rstrip("/")
        self._where = f"{self.label}: {self.url}"

    @staticmethod
    def _make_client(key: str, base_url: str | None, azure: bool, api_version: str | None,
                     deployment: str | None, timeout: float) -> openai.OpenAI:
        if not azure:
            return openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=0)
        if not base_url:
            raise ModelError("Azure OpenAI needs the resource endpoint as base_url "
                             "(e.g. https://NAME.openai.azure.com)", kind="bad_request")
        version = api_version or _DEFAULT_AZURE_VERSION
        if "/deployments/" in base_url:
            return openai.AzureOpenAI(api_key=key, base_url=base_url, api_version=version,
                                      timeout=timeout, max_retries=0)
        return openai.AzureOpenAI(api_key=key, azure_endpoint=base_url, azure_deployment=deployment,
                                  api_version=version, timeout=timeout, max_retries=0)

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, url={self.url!r}, api_type={self.api_type!r})"

    # -- the ModelClient interface ---------------------------------------------------------
    def complete(self, request: ModelRequest, *, cancel: CancelToken | None = None,
                 on_token: TokenCallback | None = None) -> ModelResponse:
        settings = {**self.default_settings, **request.settings} if self.default_settings else request.settings
        stream = on_token is not None
        attempt = 0
        while True:
            if cancel is not None:
                cancel.raise_if_set()
            body = build_body(self.model, request, settings, stream=stream, include_usage=self._include_usage,
                              prefixes=self._prefixes)
            assembler = StreamAssembler(self.model, self.price) if stream else None
            failure = self._attempt(body, cancel, on_token, assembler)
            if isinstance(failure, ModelResponse):
                return failure
            if self._usage_option_refused(failure, stream):
                continue  # the server rejects stream_options: ask again without it
            streamed = assembler is not None and assembler.tokens > 0
            if not failure.error.retryable or attempt >= self.max_retries or streamed:
                raise self._final(failure.error, attempt + 1)
            self._sleep(self._delay(attempt, failure.retry_after), cancel)
            attempt += 1

    def check(self, timeout: float = 15.0) -> str:
        """Send one tiny request; return a one-line "OK" or raise ModelError saying what to fix."""
        started = time.monotonic()
        request = ModelRequest(messages=(_PING,))
        body = build_body(self.model, request, {}, stream=False, include_usage=False)
        try:
            data = self._client.with_options(timeout=timeout).post(
                "/chat/completions", cast_to=object, content=body, options=_OPTIONS)
            response = parse_completion(data, self.model, self.price, self._where)
        except ModelError:
            raise
        except Exception as exc:
            raise self._final(self._translate(exc).error, 1) from None
        took = time.monotonic() - started
        return f"{self.label}: OK, model '{response.model or self.model}' answered in {took:.2f} s"

    # -- one attempt ---------------------------------------------------------------------
    def _attempt(self, body: bytes, cancel: CancelToken | None, on_token: TokenCallback | None,
                 assembler: StreamAssembler | None) -> ModelResponse | Failure:
        """Run one HTTP exchange on a worker thread; deliver tokens on this thread."""
        inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        stop = threading.Event()
        holder: list[Any] = []
        remove: Callable[[], None] = (cancel.on_cancel(lambda: inbox.put(_CANCELLED))
                                      if cancel is not None else _noop)
        try:
            _IO.submit(self._exchange, body, assembler is not None, inbox, stop, holder)
            while True:
                kind, value = inbox.get()
                if kind == "chunk":
                    assert assembler is not None and on_token is not None
                    text = assembler.feed(value)
                    if text:
                        on_token(text)
                elif kind == "data":
                    if assembler is not None and value is None:
                        return assembler.result()
                    response = parse_completion(value, self.model, self.price, self._where)
                    if on_token is not None and response.content:
                        on_token(response.content)  # a server that ignored stream=true
                    return response
                elif kind == "error":
                    return value if isinstance(value, Failure) else self._translate(value)
                else:  # cancelled
                    stop.set()
                    _abort(holder)
                    raise Cancelled()
        except ModelError as err:
            return Failure(err)
        finally:
            remove()

    def _exchange(self, body: bytes, stream: bool, inbox: queue.SimpleQueue[tuple[str, Any]],
                  stop: threading.Event, holder: list[Any]) -> None:
        """Worker side: send the request, push chunks / the parsed reply / the error."""
        try:
            if not stream:
                inbox.put(("data", self._client.post("/chat/completions", cast_to=object, content=body,
                                                     options=_OPTIONS)))
                return
            events: Stream[object] = self._client.post(
                "/chat/completions", cast_to=object, content=body, options=_OPTIONS, stream=True,
                stream_cls=Stream[object])
            holder.append(events)
            try:
                kind = events.response.headers.get("content-type", "")
                if "event-stream" not in kind:  # the server ignored stream=true, or is not an API
                    inbox.put(("data", _non_stream_body(events.response, kind)))
                    return
                for chunk in events:
                    if stop.is_set():
                        return
                    inbox.put(("chunk", chunk))
                inbox.put(("data", None))
            finally:
                events.close()
        except Exception as exc:  # delivered to the caller's thread
            if not stop.is_set():
                inbox.put(("error", exc))

    # -- errors and retries ------------------------------------------------------------------
    def _translate(self, exc: Exception) -> Failure:
        failure = translate(exc, label=self.label, url=self.url, model=self.model,
                            key_hint=self._key_hint, secret=self._secret)
        if failure.error.kind == "not_found":
            names = self._served_models()
            hint = f": pick one of {', '.join(names)}" if names else ": check the model name"
            failure.error = ModelError(str(failure.error) + hint, kind="not_found", status=failure.error.status)
        return failure

    def _served_models(self) -> list[str]:
        try:
            data = self._client.with_options(timeout=5.0).get("/models", cast_to=object, options=_OPTIONS)
            return [str(m["id"]) for m in data["data"]][:20]  # type: ignore[index]
        except Exception:
            return []

    def _usage_option_refused(self, failure: Failure, stream: bool) -> bool:
        if stream and self._include_usage and failure.error.status == 400 \
                and "stream_options" in str(failure.error):
            self._include_usage = False
            return True
        return False

    def _final(self, error: ModelError, attempts: int) -> ModelError:
        if not error.retryable or attempts <= 1:
            return error
        text = f"{error} - gave up after {attempts} attempts"
        if error.kind == "rate_limit":
            text += ": wait a minute, lower the request rate, or raise max_retries"
        else:
            text += ": try again later or check the server"
        return ModelError(scrub(text, self._secret), kind=error.kind, retryable=True, status=error.status)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.retry_max_delay, max(0.0, retry_after)) * (1 + random.random() * 0.1)
        ceiling = min(self.retry_max_delay, self.retry_base_delay * (2 ** attempt))
        return ceiling / 2 + random.random() * ceiling / 2  # "equal jitter": never less than half

    @staticmethod
    def _sleep(seconds: float, cancel: CancelToken | None) -> None:
        if cancel is None:
            time.sleep(seconds)
        elif cancel.wait(seconds):
            raise Cancelled()


def _abort(holder: list[Any]) -> None:
    """Wake the worker blocked on a stream read by shutting the socket down."""
    for events in holder:
        try:
            stream = events.response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # best effort: the worker also checks the stop flag
            pass


def _non_stream_body(response: Any, content_type: str) -> Any:
    response.read()
    return response.json() if "json" in content_type else response.text


def _noop() -> None:
    return None


def _default_label(model: str, base_url: str | None, azure: bool) -> str:
    if azure:
        return f"{model} (Azure OpenAI)"
    if not base_url:
        return f"{model} (OpenAI)"
    host = base_url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{model} ({host})"
