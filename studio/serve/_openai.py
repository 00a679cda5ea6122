"""``/v1``: a team as an OpenAI model. ``model`` names a served template, the last user
message is the task, and the answer is the run's summary (or its final message).

Streaming sends the final speaker's tokens. Which message is the final one is known only
once the run ends, so the stream opens at once with the assistant role, keeps the
connection alive while the team works, and then relays the final message's own token
deltas (or, for a message that was not streamed, its words). The streamed text always
equals the non-streamed answer. A client that goes away stops the run: nobody is left to
read its answer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ._auth import Caller
from ._deps import CallerDep, TeamsDep
from ._errors import ApiError, error_body, responses
from ._schemas import (
    MAX_TASK,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    ChatMessageIn,
    Choice,
    CompletionUsage,
    ModelList,
    ModelOut,
)
from ._service import Served, Teams
from ._streams import SSE_HEADERS, blocking, follow

router = APIRouter(prefix="/v1", tags=["openai"])
STARTED = int(time.time())
_KEEP_ALIVE = 10.0  # seconds: well inside the read timeout of OpenAI clients (60 s here)
_WORDS = re.compile(r"\S+\s*|\s+")



@router.get("/models", response_model=ModelList, responses=responses(),
            summary="The served templates, as models")
def list_models(teams: TeamsDep, caller: CallerDep) -> ModelList:
    return ModelList(data=[ModelOut(id=name, created=STARTED) for name in teams.served])


@router.get("/models/{model}", response_model=ModelOut, responses=responses(404),
            summary="One served template, as a model")
def get_model(teams: TeamsDep, caller: CallerDep, model: str) -> ModelOut:
    return ModelOut(id=_served(teams, model).name, created=STARTED)


@router.post("/chat/completions", response_model=ChatCompletion, responses={
    **responses(404, 500),
    200: {"description": "The answer; with \"stream\": true, Server-Sent Events of "
                         "chat.completion.chunk objects ending with data: [DONE].",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    summary="Run a team as a model (OpenAI chat completions)")
async def chat_completions(request: Request, teams: TeamsDep, caller: CallerDep,
                           body: ChatCompletionRequest) -> Any:
    served = _served(teams, body.model)
    task = last_user_text(body.messages)
    run_id = await blocking(lambda: teams.start(caller, served, task, human="never"))
    headers = {"X-Roundtable-Run-Id": run_id}
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(_chunks(teams, caller, run_id, served, include_usage),
                                 media_type="text/event-stream",
                                 headers={**SSE_HEADERS, **headers})
    handle = teams.manager.get(caller.actor, run_id)
    try:
        while handle is not None and not await blocking(handle.wait, 1.0):
            if await request.is_disconnected():
                handle.cancel()
                break
    finally:
        if handle is not None and not handle.done and await request.is_disconnected():
            handle.cancel()
    outcome = _Answer()
    for event in await blocking(teams.events_after, caller, run_id, 0):
        outcome.feed(event)
    failure = outcome.failure()
    if failure is not None:
        return JSONResponse(error_body(500, failure, "run_failed"), status_code=500,
                            headers=headers)
    completion = ChatCompletion(
        id=f"chatcmpl-{run_id}", created=int(time.time()), model=served.name,
        choices=[Choice(message=AssistantMessage(content=outcome.answer()))],
        usage=outcome.usage())
    return JSONResponse(completion.model_dump(), headers=headers)


def _served(teams: Teams, model: str) -> Served:
    try:
        return teams.template(model)
    except ApiError as exc:
        raise ApiError(404, f"model {model!r} does not exist here: a model is a served "
                            f"template, one of {', '.join(teams.served)}",
                       "model_not_found") from exc


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.text for part in content if getattr(part, "text", None))
    return ""


def last_user_text(messages: list[ChatMessageIn]) -> str:
    """The task: the text of the last user message."""
    for message in reversed(messages):
        if message.role == "user":
            text = _text(message.content)
            if len(text) > MAX_TASK:
                raise ApiError(400, f"the last user message is the team's task: at most "
                                    f"{MAX_TASK} characters (it has {len(text)})",
                               "task_too_long")
            if text.strip():
                return text
            raise ApiError(400, "the last user message has no text: it is the team's task",
                           "empty_task")
    raise ApiError(400, "no user message: the last user message is the team's task",
                   "no_user_message")


def _without_marker(text: str) -> str:
    """A final message as its answer: without the TERMINATE that ended the chat."""
    text = text.strip()
    return text.removesuffix("TERMINATE").rstrip() if text.endswith("TERMINATE") else text


class _Answer:
    """Reads a run's events: its final message (and that message's token deltas), how it
    ended, and its usage."""

    def __init__(self) -> None:
        self._tokens: dict[str, list[str]] = {}
        self._last: tuple[str, list[str]] | None = None  # (content, its deltas)
        self.final: dict[str, Any] | None = None

    def feed(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "token" and not event.get("depth"):
            self._tokens.setdefault(str(event.get("agent", "")), []).append(
                str(event.get("delta", "")))
        elif kind == "message" and not event.get("depth"):
            message = event.get("message") or {}
            content = message.get("content") or ""
            deltas = self._tokens.pop(str(event.get("sender", "")), [])
            if content.strip() and message.get("role") != "tool":
                self._last = (content, deltas)
        elif kind == "run_finished":
            self.final = event

    def answer(self) -> str:
        summary = str((self.final or {}).get("summary") or "")
        if summary.strip():
            return summary
        return _without_marker(self._last[0]) if self._last else ""

    def pieces(self) -> list[str]:
        """The answer as it was streamed: the final message's deltas, cut where the answer
        ends (a TERMINATE marker is not part of it); else its words."""
        answer = self.answer()
        if self._last is not None and self._last[1]:
            streamed = "".join(self._last[1])
            lead = len(streamed) - len(streamed.lstrip())
            if streamed[lead:].startswith(answer):
                pieces, used, skip = [], 0, lead
                for delta in self._last[1]:
                    if skip:
                        cut = min(skip, len(delta))
                        delta, skip = delta[cut:], skip - cut
                    take = delta[: len(answer) - used]
                    if take:
                        pieces.append(take)
                        used += len(take)
                    if used >= len(answer):
                        break
                return pieces
        return _WORDS.findall(answer)

    def failure(self) -> str | None:
        final = self.final or {}
        status = final.get("status")
        if status == "finished":
            return None
        if status == "cancelled":
            return "the team's run was stopped before it answered"
        error = final.get("error") or final.get("reason") or "it ended without an answer"
        return f"the team's run failed: {error}"

    def usage(self) -> CompletionUsage:
        total = ((self.final or {}).get("usage") or {}).get("total") or {}
        prompt, completion = int(total.get("prompt_tokens") or 0), int(
            total.get("completion_tokens") or 0)
        return CompletionUsage(prompt_tokens=prompt, completion_tokens=completion,
                               total_tokens=prompt + completion)


def _chunk(run_id: str, model: str, delta: dict[str, Any], finish: str | None = None,
           usage: CompletionUsage | None = None, choices: bool = True) -> bytes:
    data: dict[str, Any] = {
        "id": f"chatcmpl-{run_id}", "object": "chat.completion.chunk",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []}
    if usage is not None:
        data["usage"] = usage.model_dump()
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _chunks(teams: Teams, caller: Caller, run_id: str, served: Served,
                  include_usage: bool) -> AsyncIterator[bytes]:
    outcome = _Answer()
    finished = False
    try:
        yield _chunk(run_id, served.name, {"role": "assistant", "content": ""})
        async for event in follow(teams, caller, run_id, 0, keep_alive=_KEEP_ALIVE):
            if event is None:
                yield b": the team is working\n\n"
                continue
            outcome.feed(event)
        finished = True
        failure = outcome.failure()
        if failure is not None:
            yield f"data: {json.dumps(error_body(500, failure, 'run_failed'))}\n\n".encode()
            return
        for piece in outcome.pieces():
            yield _chunk(run_id, served.name, {"content": piece})
        yield _chunk(run_id, served.name, {}, finish="stop")
        if include_usage:
            yield _chunk(run_id, served.name, {}, usage=outcome.usage(), choices=False)
        yield b"data: [DONE]\n\n"
    finally:
        if not finished:  # the client went away: nobody will read this run's answer
            handle = teams.manager.get(caller.actor, run_id)
            if handle is not None:
                handle.cancel()
