"""Cheap conversion between engine messages and the chat-completions wire format.

Request bodies are built as bytes from per-message JSON fragments that are cached by
message identity (a :class:`Message` is immutable), so a request over a long history
costs one join, not a re-serialisation of every earlier message. Responses are parsed
from plain dicts, without building SDK models.
"""

from __future__ import annotations

import json
import operator
import threading
from typing import Any

from .._messages import Message, ToolCall, to_wire
from .._usage import Usage, cost_of
from ._interface import ModelError, ModelRequest, ModelResponse

_CACHE_LIMIT = 16384
# id(message) -> (message, its JSON). The message is kept alive by the entry, so its id
# cannot be reused by another object while the entry exists.
_cache: dict[int, tuple[Message, bytes]] = {}
_cache_lock = threading.Lock()

# settings that would break the request if a user's settings dict overrode them
_RESERVED = frozenset({"model", "messages", "stream", "stream_options", "tools", "tool_choice"})


def message_json(message: Message) -> bytes:
    hit = _cache.get(id(message))
    if hit is not None and hit[0] is message:
        return hit[1]
    data = json.dumps(to_wire(message), ensure_ascii=False, separators=(",", ":")).encode()
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            for key in list(_cache)[: _CACHE_LIMIT // 4]:  # drop the oldest quarter
                del _cache[key]
        _cache[id(message)] = (message, data)
    return data


class PrefixCache:
    """The joined JSON of recent message lists, so that a history that only grew since the
    last request costs one identity scan plus the new messages' JSON. Thread-safe enough:
    entries are replaced whole."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._entries: list[tuple[tuple[Message, ...], bytes]] = []

    def join(self, messages: tuple[Message, ...]) -> bytes:
        best: tuple[tuple[Message, ...], bytes] | None = None
        n = len(messages)
        for entry in self._entries:
            k = len(entry[0])
            if 0 < k <= n and entry[0][k - 1] is messages[k - 1] and (best is None or k > len(best[0])) \
                    and all(map(operator.is_, entry[0], messages)):
                best = entry
        if best is None:
            joined = b",".join([message_json(m) for m in messages])
        elif len(best[0]) == n:
            joined = best[1]
        else:
            joined = best[1] + b"," + b",".join([message_json(m) for m in messages[len(best[0]):]])
        entries = [e for e in self._entries if e is not best][-(self._size - 1):]
        entries.append((messages, joined))
        self._entries = entries
        return joined


def build_body(model: str, request: ModelRequest, settings: dict[str, Any], *, stream: bool,
               include_usage: bool, prefixes: PrefixCache | None = None) -> bytes:
    """The JSON body of one chat-completions request."""
    head: dict[str, Any] = {"model": model}
    head.update((k, v) for k, v in settings.items() if k not in _RESERVED and v is not None)
    if stream:
        head["stream"] = True
        if include_usage:
            head["stream_options"] = {"include_usage": True}
    if request.tools:
        head["tools"] = list(request.tools)
        if request.tool_choice is not None:
            head["tool_choice"] = request.tool_choice
    prefix = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1].encode()
    if prefixes is not None and request.messages:
        joined = prefixes.join(request.messages)
    else:
        joined = b",".join([message_json(m) for m in request.messages])
    return prefix + b',"messages":[' + joined + b"]}"


def _usage(data: Any, model: str, price: tuple[float, float] | None) -> Usage:
    if not isinstance(data, dict):
        return Usage(model=model)
    prompt = int(data.get("prompt_tokens") or 0)
    completion = int(data.get("completion_tokens") or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion,
                 cost=cost_of(model, prompt, completion, price), model=model)


def parse_completion(data: Any, model: str, price: tuple[float, float] | None,
                     where: str) -> ModelResponse:
    """A non-streamed ``chat.completion`` dict -> :class:`ModelResponse`."""
    if isinstance(data, str):
        raise ModelError(f"{where} answered with a web page or plain text, not the OpenAI API: "
                         "check the base URL: it usually ends in /v1", kind="bad_url")
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices or not isinstance(choices[0], dict):
        raise ModelError(f"{where} sent a reply without 'choices'; is it an OpenAI-compatible "
                         "chat-completions API? check the base URL: it usually ends in /v1", kind="bad_url")
    choice = choices[0]
    message = choice.get("message") or {}
    calls = tuple(
        ToolCall(id=str(c.get("id") or f"call_{i}"), name=str((c.get("function") or {}).get("name", "")),
                 arguments=str((c.get("function") or {}).get("arguments") or "{}"))
        for i, c in enumerate(message.get("tool_calls") or ())
    )
    served = str(data.get("model") or model)
    return ModelResponse(content=message.get("content"), tool_calls=calls,
                         usage=_usage(data.get("usage"), served, price), model=served,
                         finish_reason=choice.get("finish_reason"))


def has_finish(chunk: Any) -> bool:
    """Whether a ``chat.completion.chunk`` dict says the model has finished."""
    if not isinstance(chunk, dict):
        return False
    return any(isinstance(c, dict) and c.get("finish_reason") for c in chunk.get("choices") or ())


def _join_name(current: str, piece: str) -> str:
    """A streamed tool name, as the OpenAI reference client keeps it.

    OpenAI sends the whole name once; some servers (llama-cpp-python) repeat it whole in
    every chunk, others send it in pieces. A name that arrives whole again (or grown
    from what we have) replaces it; only a genuinely new piece is appended.
    """
    if not current or piece.startswith(current):
        return piece
    return current + piece


class StreamAssembler:
    """Folds ``chat.completion.chunk`` dicts into one :class:`ModelResponse`."""

    def __init__(self, model: str, price: tuple[float, float] | None) -> None:
        self._model = model
        self._price = price
        self._parts: list[str] = []
        self._calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]
        self._usage: Any = None
        self._finish: str | None = None
        self._served = ""
        self.tokens = 0  # text deltas
        self.pieces = 0  # chunks that carried part of the answer (text or tool calls)

    def feed(self, chunk: Any) -> str:
        """Take one chunk; return its text delta ('' when none)."""
        if not isinstance(chunk, dict):
            return ""
        if chunk.get("usage"):
            self._usage = chunk["usage"]
        if not self._served and chunk.get("model"):
            self._served = str(chunk["model"])
        choices = chunk.get("choices")
        if not choices:
            return ""
        choice = choices[0]
        if choice.get("finish_reason"):
            self._finish = choice["finish_reason"]
        delta = choice.get("delta") or {}
        if delta.get("content") or delta.get("tool_calls"):
            self.pieces += 1
        for call in delta.get("tool_calls") or ():
            slot = self._calls.setdefault(int(call.get("index") or 0), ["", "", ""])
            function = call.get("function") or {}
            if call.get("id"):
                slot[0] = str(call["id"])
            if function.get("name"):
                slot[1] = _join_name(slot[1], str(function["name"]))
            if function.get("arguments"):
                slot[2] += str(function["arguments"])
        text = delta.get("content")
        if text:
            self._parts.append(text)
            self.tokens += 1
            return str(text)
        return ""

    def result(self) -> ModelResponse:
        calls = tuple(
            ToolCall(id=slot[0] or f"call_{index}", name=slot[1], arguments=slot[2] or "{}")
            for index, slot in sorted(self._calls.items())
        )
        served = self._served or self._model
        content = "".join(self._parts) if self._parts else (None if calls else "")
        return ModelResponse(content=content, tool_calls=calls,
                             usage=_usage(self._usage, served, self._price), model=served,
                             finish_reason=self._finish)
