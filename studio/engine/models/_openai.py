"""The OpenAI-compatible model client: OpenAI, Azure OpenAI, or any server by base URL.

It keeps the official ``openai`` SDK client (auth, Azure routing, error types) but sends
pre-built JSON bytes through the SDK's lower-level ``post``, skipping the per-request
parameter transformation of ``chat.completions.create`` that grows with the history.
Every call into the SDK goes through :mod:`._openai_sdk`, imported when a model is built.
Retries are ours (one policy: backoff with jitter, honouring Retry-After); the SDK's are
off. HTTP runs on a daemon worker thread so that a cancel returns at once, even while the
server is silent, and a blocked read never holds up the interpreter's exit.
"""

from __future__ import annotations

import os
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from .._control import Cancelled
from .._messages import Message
from ._interface import ModelError, ModelRequest, ModelResponse, TokenCallback
from ._openai_errors import Failure, Where, broken_stream, scrub, translate, unfinished_stream
from ._openai_wire import PrefixCache, StreamAssembler, build_body, has_finish, parse_completion

if TYPE_CHECKING:
    from .._control import CancelToken
    from ._openai_sdk import OpenStream, SdkClient

ApiType = Literal["openai", "azure"]
DEFAULT_TIMEOUT = 60.0  # seconds to wait for an answer to start (and between streamed pieces)
DEFAULT_RETRIES = 2  # further attempts after a failure that may pass (429, 5xx, timeouts)
_DEFAULT_AZURE_VERSION = "2024-10-21"
_CANCELLED = ("cancelled", None)
_PING = Message(role="user", content="Reply with the word OK.")


class OpenAIChatModel:
    """A chat model behind an OpenAI-compatible API.

    ``timeout`` is how long to wait for the server to start answering, and between two
    pieces of a streamed answer; ``max_retries`` how many more attempts a failure that may
    pass gets (rate limits, server errors, timeouts, broken connections). ``price``
    overrides the (input, output) USD price per 1M tokens. ``default_settings``
    (temperature, max_tokens, ...) apply to every request under the request's own.
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str | None = None, api_type: ApiType = "openai",
                 api_version: str | None = None, azure_deployment: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_RETRIES,
                 price: tuple[float, float] | None = None, label: str | None = None,
                 default_settings: dict[str, Any] | None = None,
                 retry_base_delay: float = 0.5, retry_max_delay: float = 30.0) -> None:
        if not model:
            raise ModelError("the model name is empty: set it (e.g. 'gpt-4o-mini')", kind="bad_request")
        if api_type not in ("openai", "azure"):
            raise ModelError(f"api_type {api_type!r} is unknown: use 'openai' or 'azure'", kind="bad_request")
        if not timeout or timeout <= 0:
            raise ModelError(f"timeout must be more than 0 seconds (got {timeout!r})", kind="bad_request")
        self.model = model
        self.api_type = api_type
        self.price = price
        self.timeout = float(timeout)
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
        if azure and not base_url:
            raise ModelError("Azure OpenAI needs the resource endpoint as base_url "
                             "(e.g. https://NAME.openai.azure.com)", kind="bad_request")
        self._secret = key
        from ._openai_sdk import SdkClient  # the SDK is imported only once a model is built

        self._sdk: SdkClient = SdkClient(api_key=key, base_url=base_url, azure=azure,
                                         api_version=api_version or _DEFAULT_AZURE_VERSION,
                                         deployment=azure_deployment, timeout=self.timeout)
        self.url = self._sdk.url
        self._where = Where(label=self.label, url=self.url, model=model, key_hint=self._key_hint,
                            secret=key, timeout=self.timeout)

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
        from ._openai_sdk import describe

        started = time.monotonic()
        request = ModelRequest(messages=(_PING,))
        body = build_body(self.model, request, {}, stream=False, include_usage=False)
        try:
            data = self._sdk.post(body, timeout=timeout)
        except Exception as exc:
            raise self._final(self._translate(describe(exc), timeout).error, 1) from None
        response = parse_completion(data, self.model, self.price, self._where_text)
        took = time.monotonic() - started
        return f"{self.label}: OK, model '{response.model or self.model}' answered in {took:.2f} s"

    @property
    def _where_text(self) -> str:
        return f"{self.label}: {self.url}"

    # -- one attempt ---------------------------------------------------------------------
    def _attempt(self, body: bytes, cancel: CancelToken | None, on_token: TokenCallback | None,
                 assembler: StreamAssembler | None) -> ModelResponse | Failure:
        """Run one HTTP exchange on a worker thread; deliver tokens on this thread."""
        inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        exchange = _Exchange()
        remove: Callable[[], None] = (cancel.on_cancel(lambda: inbox.put(_CANCELLED))
                                      if cancel is not None else _noop)
        try:
            _IO.submit(self._exchange, body, assembler is not None, inbox, exchange)
            while True:
                kind, value = inbox.get()
                if kind == "chunk":
                    assert assembler is not None and on_token is not None
                    text = assembler.feed(value)
                    if text:
                        on_token(text)
                elif kind == "end":  # the stream ended; value: whether the model finished
                    assert assembler is not None
                    return assembler.result() if value else unfinished_stream(self._where, assembler.pieces)
                elif kind == "data":
                    response = parse_completion(value, self.model, self.price, self._where_text)
                    if on_token is not None and response.content:
                        on_token(response.content)  # a server that ignored stream=true
                    return response
                elif kind == "error":
                    error, started = value
                    if started:
                        return broken_stream(error, self._where, assembler.pieces if assembler else 0)
                    return self._translate(error)
                else:  # cancelled
                    exchange.abort()
                    raise Cancelled()
        except ModelError as err:
            return Failure(err)
        finally:
            remove()

    def _exchange(self, body: bytes, stream: bool, inbox: queue.SimpleQueue[tuple[str, Any]],
                  exchange: _Exchange) -> None:
        """Worker side: send the request, push chunks / the parsed reply / the error."""
        from ._openai_sdk import describe

        finished = False
        try:
            if not stream:
                inbox.put(("data", self._sdk.post(body)))
                return
            opened = exchange.opened(self._sdk.stream(body))
            if opened is None:
                return  # cancelled while the headers were on their way
            try:
                if not opened.is_event_stream:  # the server ignored stream=true, or is not an API
                    inbox.put(("data", opened.body()))
                    return
                for chunk in opened:
                    if exchange.stopped:
                        return
                    finished = finished or has_finish(chunk)
                    inbox.put(("chunk", chunk))
                if not finished:
                    opened.discard()  # a server that failed mid-answer: never reuse its connection
                inbox.put(("end", finished))
            except BaseException:
                opened.discard()
                raise
            finally:
                opened.close()
        except Exception as exc:  # delivered to the caller's thread
            if exchange.stopped:
                return
            if finished:  # the connection broke after the model had finished: keep the answer
                inbox.put(("end", True))
            else:
                inbox.put(("error", (describe(exc), exchange.started)))

    # -- errors and retries ------------------------------------------------------------------
    def _translate(self, error: Any, timeout: float | None = None) -> Failure:
        failure = translate(error, self._where if timeout is None else replace(self._where, timeout=timeout))
        if failure.error.kind == "not_found":
            names = self._served_models()
            hint = f": pick one of {', '.join(names)}" if names else ": check the model name"
            failure.error = ModelError(str(failure.error) + hint, kind="not_found", status=failure.error.status)
        return failure

    def _served_models(self) -> list[str]:
        try:
            data = self._sdk.get("/models", timeout=5.0)
            return [str(m["id"]) for m in data["data"]][:20]
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
            text += ": wait a minute, lower the request rate, or allow the model more retries"
        elif error.kind != "timeout":
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


class _Exchange:
    """One HTTP exchange as both threads see it: the open stream, and whether it was stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stopped = False
        self.started = False  # the response headers arrived
        self._stream: OpenStream | None = None

    def opened(self, stream: OpenStream) -> OpenStream | None:
        with self._lock:
            self.started = True
            if not self.stopped:
                self._stream = stream
                return stream
        stream.discard()
        stream.close()
        return None

    def abort(self) -> None:
        """Stop: wake the worker blocked on a stream read by shutting its connection down."""
        with self._lock:
            self.stopped = True
            stream = self._stream
        if stream is not None:
            stream.discard()


class _DaemonWorkers:
    """A small pool of daemon threads. Unlike ``concurrent.futures`` (whose threads the
    interpreter joins at exit), a worker blocked on a silent server never delays the exit
    of a program that was interrupted; idle workers end after ``idle`` seconds."""

    def __init__(self, name: str, idle: float = 30.0) -> None:
        self._name = name
        self._idle_seconds = idle
        self._tasks: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self._lock:
            self._tasks.put((fn, args))
            if self._idle > 0:
                self._idle -= 1
                return
            self._started += 1
            number = self._started
        threading.Thread(target=self._work, name=f"{self._name}-{number}", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                fn, args = self._tasks.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._tasks.empty():
                        self._idle -= 1
                        return
                continue
            try:
                fn(*args)
            except BaseException:  # noqa: BLE001 - the task reports its own errors
                pass
            with self._lock:
                self._idle += 1


_IO = _DaemonWorkers("openai-io")


def _noop() -> None:
    return None


def _default_label(model: str, base_url: str | None, azure: bool) -> str:
    if azure:
        return f"{model} (Azure OpenAI)"
    if not base_url:
        return f"{model} (OpenAI)"
    host = base_url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{model} ({host})"
