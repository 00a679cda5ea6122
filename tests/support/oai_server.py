"""A real OpenAI-compatible HTTP server on loopback, programmed by each test.

It serves ``POST /v1/chat/completions`` (streaming and not, tool calls), the Azure shape
``POST /openai/deployments/{name}/chat/completions?api-version=...``, ``GET /v1/models`` and
``POST /v1/embeddings`` (deterministic bag-of-words vectors: texts sharing words are close;
floats or base64 as the client asks; a queued error reply answers it too).
Each test queues scripted replies (:func:`text`, :func:`tool_calls`, :func:`error`,
:func:`html`, :func:`slow`, :func:`stall`, :func:`cut`, :func:`empty_stream`); with an empty
queue the server answers at once with a short echo (the mode the benchmark uses). Every
request is recorded, with the connection it came on.

``stream_style="llama-cpp-python"`` streams tool calls the way llama-cpp-python's server
does: every chunk repeats the call's id, type and whole name next to a piece of the
arguments, plus the legacy ``function_call`` field.

In a thread::

    with OAIServer() as server:
        server.push(text("hello"))
        client = OpenAIChatModel("test-model", base_url=server.base_url)

As a separate process (for benchmarks, away from the client's GIL)::

    python -m tests.support.oai_server --port 0     # prints "READY <port>"
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_AZURE_PATH = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")
_CHAT_PATHS = ("/v1/chat/completions",)
_EMBEDDING_PATHS = ("/v1/embeddings",)
EMBEDDING_DIMS = 64


@dataclass
class Reply:
    """One scripted answer. Build it with the helper functions below."""

    content: str | None = "ok"
    tool_calls: tuple[tuple[str, str], ...] = ()  # (function name, arguments JSON)
    status: int = 200
    body: bytes | None = None  # raw body (errors, HTML); replaces the completion
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow model)
    stall_after: int | None = None  # streaming: stop sending after this many text chunks
    cut_after: int | None = None  # streaming: close the connection after this many chunks
    empty: bool = False  # streaming: HTTP 200 and an empty body, then reset the connection
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens; None = counted words
    finish_reason: str | None = None  # None: stop / tool_calls; "": none is sent


def text(content: str, *, usage: tuple[int, int] | None = None) -> Reply:
    return Reply(content=content, usage=usage)


def tool_calls(*calls: tuple[str, dict[str, Any] | str], content: str | None = None,
               usage: tuple[int, int] | None = None) -> Reply:
    wire = tuple((name, args if isinstance(args, str) else json.dumps(args)) for name, args in calls)
    return Reply(content=content, tool_calls=wire, usage=usage)


def error(status: int, message: str = "error", *, code: str | None = None,
          retry_after: float | None = None, err_type: str = "invalid_request_error") -> Reply:
    body = json.dumps({"error": {"message": message, "type": err_type, "param": None, "code": code}})
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply(status=status, body=body.encode(), headers=headers)


def html(status: int = 200) -> Reply:
    page = b"<!doctype html><html><head><title>Welcome</title></head><body>Hello</body></html>"
    return Reply(status=status, body=page, content_type="text/html; charset=utf-8")


def slow(delay: float, reply: Reply | None = None) -> Reply:
    reply = reply or Reply()
    reply.delay = delay
    return reply


def stall(content: str, *, after: int = 1) -> Reply:
    """Streamed: send ``after`` text chunks, then hang until the server stops."""
    return Reply(content=content, stall_after=after)


def cut(content: str, *, after: int = 1) -> Reply:
    """Streamed: send ``after`` text chunks, then drop the connection mid-answer. Not
    streamed: drop the connection without answering."""
    return Reply(content=content, cut_after=after)


def empty_stream() -> Reply:
    """Streamed: HTTP 200 with an empty event stream (no chunk, no finish reason), as a
    server that failed after sending its headers does; a request sent again on the same
    connection is then answered with a connection reset."""
    return Reply(empty=True)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] | None
    at: float = field(default_factory=time.monotonic)  # when it arrived
    connection: int = 0  # the client's port: equal for requests on one kept-alive connection


def _pieces(content: str) -> list[str]:
    """Word-sized deltas that concatenate back to ``content``."""
    parts = re.findall(r"\s*\S+|\s+$", content)
    return parts or [content]


class OAIServer:
    """The server; start it with ``with OAIServer() as s`` or :meth:`start`."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, models: tuple[str, ...] = ("test-model",),
                 api_key: str | None = None, record: bool = True, honour_usage_option: bool = True,
                 echo_tools: bool = False, stream_style: str = "openai",
                 embedding_models: tuple[str, ...] = ("test-embed",)) -> None:
        self.models = models  # empty: any model is served
        self.embedding_models = embedding_models  # empty: any embeddings model is served
        self.api_key = api_key  # None: any key (or none) is accepted
        self.record = record
        self.honour_usage_option = honour_usage_option
        self.echo_tools = echo_tools  # echo mode: call the first offered tool instead of replying
        if stream_style not in ("openai", "llama-cpp-python"):
            raise ValueError(f"unknown stream_style {stream_style!r}")
        self.stream_style = stream_style
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._httpd.server_address[0]}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def start(self) -> OAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:  # free clients still waiting on a slow or stalled reply
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> OAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- programming and inspecting ------------------------------------------------
    def push(self, *replies: Reply) -> None:
        with self._cond:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def embedding_requests(self) -> list[RecordedRequest]:
        with self._cond:
            return [r for r in self.requests if r.path.endswith("/embeddings")]

    def chat_requests(self) -> list[RecordedRequest]:
        with self._cond:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"expected {count} requests, got {len(self.requests)}")
            return list(self.requests)

    # -- used by the handler ---------------------------------------------------------
    def _record(self, req: RecordedRequest) -> None:
        with self._cond:
            if self.record:
                self.requests.append(req)
            self._cond.notify_all()

    def _next_reply(self) -> Reply | None:
        with self._cond:
            return self._queue.popleft() if self._queue else None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    app: OAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (cancelled requests) are expected here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.app._cond:
            self.server.app._conns.add(self.connection)

    def finish(self) -> None:
        with self.server.app._cond:
            self.server.app._conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet

    # -- routes ---------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        app = self.server.app
        split = urlsplit(self.path)
        app._record(RecordedRequest("GET", split.path, parse_qs(split.query), {k.lower(): v for k, v in self.headers.items()}, None,
                                    connection=int(self.client_address[1])))
        if split.path == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "loopback"} for m in app.models]
            self._send(200, json.dumps({"object": "list", "data": data}).encode())
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        app = self.server.app
        split = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        app._record(RecordedRequest("POST", split.path, parse_qs(split.query), {k.lower(): v for k, v in self.headers.items()}, body,
                                    connection=int(self.client_address[1])))
        if split.path in _EMBEDDING_PATHS:
            self._embeddings(body)
            return
        azure = _AZURE_PATH.match(split.path)
        if split.path not in _CHAT_PATHS and not azure:
            self._send(404, b"404 page not found", "text/plain")
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._error(400, "'messages' is a required property")
            return
        if app.api_key is not None and not self._authorized(app.api_key):
            self._error(401, "Incorrect API key provided.", code="invalid_api_key")
            return
        model = str(body.get("model", ""))
        if app.models and not azure and model not in app.models:
            self._error(404, f"The model `{model}` does not exist or you do not have access to it.",
                        code="model_not_found")
            return
        reply = app._next_reply() or _echo(body, app.echo_tools)
        if reply.delay and app._stopping.wait(reply.delay):
            return
        if reply.cut_after is not None and not body.get("stream"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all
            return
        if reply.body is not None or reply.status != 200:
            self._send(reply.status, reply.body or b"", reply.content_type, reply.headers)
        elif body.get("stream"):
            self._stream(reply, body, model)
        else:
            self._send(200, json.dumps(_completion(reply, body, model)).encode())

    def _embeddings(self, body: Any) -> None:
        app = self.server.app
        if app.api_key is not None and not self._authorized(app.api_key):
            self._error(401, "Incorrect API key provided.", code="invalid_api_key")
            return
        inputs = body.get("input") if isinstance(body, dict) else None
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs):
            self._error(400, "'input' must be a string or a list of strings")
            return
        model = str(body.get("model", ""))
        if app.embedding_models and model not in app.embedding_models:
            self._error(404, f"model '{model}' not found", code="model_not_found")
            return
        reply = app._next_reply()
        if reply is not None and (reply.body is not None or reply.status != 200):
            self._send(reply.status, reply.body or b"", reply.content_type, reply.headers)
            return
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = embed_text(text)
            encoded: Any = (base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                            if as_base64 else vector)
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(t.split()) for t in inputs)
        self._send(200, json.dumps({"object": "list", "data": data, "model": model,
                                    "usage": {"prompt_tokens": tokens,
                                              "total_tokens": tokens}}).encode())

    # -- helpers ----------------------------------------------------------------------
    def _authorized(self, key: str) -> bool:
        return self.headers.get("Authorization") == f"Bearer {key}" or self.headers.get("api-key") == key

    def _error(self, status: int, message: str, *, code: str | None = None) -> None:
        self._send(status, error(status, message, code=code).body or b"")

    def _send(self, status: int, payload: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                f"Content-Type: {content_type}", f"Content-Length: {len(payload)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

    def _stream(self, reply: Reply, body: dict[str, Any], model: str) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
        if reply.empty:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self._reset_on_next_request()
            return
        events = _stream_events(reply, body, model, self.server.app)
        for n, event in enumerate(events):
            if reply.stall_after is not None and n > reply.stall_after:
                self.server.app._stopping.wait(60)
                return
            if reply.cut_after is not None and n > reply.cut_after:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # no final chunk: a broken stream
                return
            self._chunk(b"data: " + json.dumps(event).encode() + b"\n\n")
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _reset_on_next_request(self) -> None:
        """Keep the connection open; if the client sends another request on it, reset it."""
        self.close_connection = True
        try:
            if self.rfile.readline():  # another request on this connection
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def embed_text(text: str) -> list[float]:
    """The server's embedding: word counts hashed into EMBEDDING_DIMS numbers, so texts that
    share words point the same way (a stand-in for a real embeddings model)."""
    vector = [0.0] * EMBEDDING_DIMS
    for word in re.findall(r"\w+", text.lower()):
        vector[zlib.crc32(word.encode()) % EMBEDDING_DIMS] += 1.0
    return vector


def _stream_events(reply: Reply, body: dict[str, Any], model: str, app: OAIServer) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` events of one streamed reply."""
    base = {"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": 0, "model": model}
    llama = app.stream_style == "llama-cpp-python"

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    first: dict[str, Any] = {"role": "assistant", "content": None if llama and reply.tool_calls else ""}
    if llama:
        first.update(function_call=None, tool_calls=None)
    events: list[dict[str, Any]] = [chunk(first)]
    texts = _pieces(reply.content) if reply.content else []
    events += [chunk({"content": piece}) for piece in texts]
    for i, (name, args) in enumerate(reply.tool_calls):
        if llama:  # every chunk: the same id and the whole name, and a piece of the arguments
            call_id = f"call__{i}_{name}_cmpl-loopback"
            for piece in _pieces(args):
                function = {"name": name, "arguments": piece}
                events.append(chunk({"role": None, "content": None, "function_call": function,
                                     "tool_calls": [{"index": i, "id": call_id, "type": "function",
                                                     "function": function}]}))
            continue
        half = len(args) // 2
        events.append(chunk({"tool_calls": [{"index": i, "id": f"call_{i}", "type": "function",
                                             "function": {"name": name, "arguments": ""}}]}))
        events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[:half]}}]}))
        events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[half:]}}]}))
    events.append(chunk({}, _finish(reply)))
    options = body.get("stream_options") or {}
    if options.get("include_usage") and app.honour_usage_option:
        events.append({**base, "choices": [], "usage": _usage(reply, body)})
    return events


def _finish(reply: Reply) -> str | None:
    """The finish reason; a reply whose ``finish_reason`` is "" never says it finished."""
    if reply.finish_reason is not None:
        return reply.finish_reason or None
    return "tool_calls" if reply.tool_calls else "stop"


def _usage(reply: Reply, body: dict[str, Any]) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        prompt = sum(len(str(m.get("content") or "").split()) + 3 for m in body["messages"])
        completion = len((reply.content or "").split()) + 5 * len(reply.tool_calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(reply: Reply, body: dict[str, Any], model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    return {"id": "chatcmpl-loopback", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply)}],
            "usage": _usage(reply, body)}


def _echo(body: dict[str, Any], tools: bool) -> Reply:
    if tools and body.get("tools"):
        name = str(body["tools"][0].get("function", {}).get("name", "tool"))
        return Reply(content=None, tool_calls=((name, '{"a": 1, "b": 2}'),))
    last = body["messages"][-1].get("content") if body["messages"] else ""
    return Reply(content="ok: " + str(last or "")[:24])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the loopback OpenAI-compatible test server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--record", action="store_true", help="keep request bodies (memory grows)")
    parser.add_argument("--echo-tools", action="store_true", help="answer requests offering tools with a call")
    args = parser.parse_args(argv)
    server = OAIServer(host=args.host, port=args.port, models=(), record=args.record,
                       echo_tools=args.echo_tools)
    print(f"READY {server.port}", flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
