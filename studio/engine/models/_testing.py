"""Models for tests: a scripted one and one backed by a Python function.

They ship in the package (not in tests/) so that users can test their own teams the
same way the engine's tests do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .._messages import ToolCall
from .._usage import Usage
from ._interface import ModelError, ModelRequest, ModelResponse, TokenCallback

if TYPE_CHECKING:
    from .._control import CancelToken

Scripted = str | ModelResponse | ToolCall | list | Exception | None


def _as_response(item: Scripted, model: str) -> ModelResponse:
    if isinstance(item, Exception):
        raise item
    if isinstance(item, ModelResponse):
        return item
    if isinstance(item, ToolCall):
        return ModelResponse(tool_calls=(item,), model=model)
    if isinstance(item, list):
        return ModelResponse(tool_calls=tuple(item), model=model)
    return ModelResponse(content=item, model=model)


def _fake_usage(request: ModelRequest, response: ModelResponse, model: str) -> Usage:
    prompt = sum(len((m.content or "").split()) + 3 for m in request.messages)
    completion = len((response.content or "").split()) + 5 * len(response.tool_calls)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, model=model)


def _stream(text: str, on_token: TokenCallback, cancel: CancelToken | None) -> None:
    from .._control import Cancelled

    for piece in _pieces(text):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        on_token(piece)


def _pieces(text: str) -> Iterable[str]:
    """Split text into word-sized deltas that concatenate back to it exactly."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            yield text[start:i]
            start = i
    if start < len(text):
        yield text[start:]


def _deliver(request: ModelRequest, response: ModelResponse, on_token: TokenCallback | None,
             cancel: CancelToken | None, model: str) -> ModelResponse:
    """Stream the reply when asked and give it a plausible usage when it has none."""
    if on_token is not None and response.content:
        _stream(response.content, on_token, cancel)
    if response.usage != Usage():
        return response
    return ModelResponse(content=response.content, tool_calls=response.tool_calls,
                         usage=_fake_usage(request, response, model),
                         model=model, finish_reason=response.finish_reason)


class ScriptedModel:
    """Replies with the given items in order.

    An item is a string (a text reply), a :class:`ToolCall` or a list of them (a reply
    with tool calls), a full :class:`ModelResponse`, an exception to raise, or None (an
    empty reply). When the script is used up, ``then`` is replied (an error by default).
    Every request is kept in ``requests`` for assertions.
    """

    def __init__(self, replies: Iterable[Scripted], *, then: Scripted | type = ModelError,
                 label: str = "Scripted model", model: str = "scripted") -> None:
        self._replies = list(replies)
        self._then = then
        self.label = label
        self.model = model
        self.requests: list[ModelRequest] = []

    @property
    def remaining(self) -> int:
        return len(self._replies)

    def replay(self, request: ModelRequest, response: ModelResponse) -> None:
        """A conversation is being rebuilt from its recording: this reply was already given,
        so the script moves past it (see :class:`studio.engine.Recording`)."""
        self.requests.append(request)
        if self._replies:
            self._replies.pop(0)

    def complete(self, request: ModelRequest, *, cancel: CancelToken | None = None,
                 on_token: TokenCallback | None = None) -> ModelResponse:
        self.requests.append(request)
        if self._replies:
            item = self._replies.pop(0)
        elif self._then is ModelError:
            raise ModelError("the scripted model has no replies left", kind="unavailable")
        else:
            item = self._then  # type: ignore[assignment]
        return _deliver(request, _as_response(item, self.model), on_token, cancel, self.model)


class FunctionModel:
    """Replies with whatever ``fn(request)`` returns (any item :class:`ScriptedModel` takes)."""

    def __init__(self, fn: Callable[[ModelRequest], Scripted], *, label: str = "Function model",
                 model: str = "function") -> None:
        self._fn = fn
        self.label = label
        self.model = model
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest, *, cancel: CancelToken | None = None,
                 on_token: TokenCallback | None = None) -> ModelResponse:
        self.requests.append(request)
        return _deliver(request, _as_response(self._fn(request), self.model), on_token, cancel,
                        self.model)
