"""The native API: templates, runs, their live events (SSE), answers and controls."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import PlainTextResponse, StreamingResponse

from studio.runs import RunError

from ._auth import Caller
from ._deps import CallerDep, TeamsDep
from ._errors import ApiError, responses
from ._schemas import (
    AnswerIn,
    CodeBlockOut,
    InterjectIn,
    PendingKind,
    PendingRequest,
    RunLinks,
    RunList,
    RunOut,
    StartRun,
    TemplateList,
    TemplateOut,
    TranscriptOut,
)
from ._service import Served, Teams
from ._streams import KEEP_ALIVE_LINE, RETRY_LINE, SSE_HEADERS, blocking, follow, sse

if TYPE_CHECKING:
    from studio.engine import HumanInputRequest

RunId = Annotated[str, Path(description="The run's id (from POST .../runs).", max_length=64)]
STOP_WAIT = 5.0  # seconds a stop waits for the run to end before answering
ANSWER_WAIT = 2.0  # seconds an answer waits for the question it answers to be seen
TemplateName = Annotated[str, Path(description="A served template's name.", max_length=200)]



def template_out(served: Served) -> TemplateOut:
    spec = served.spec
    return TemplateOut(name=served.name, title=spec.name,
                       description=" ".join(spec.description.split()),
                       pattern=str(spec.pattern.kind.value),
                       agents=[a.name for a in spec.agents], models=list(served.models),
                       sample_tasks=list(spec.sample_tasks))


_PENDING_KINDS: dict[str, PendingKind] = {
    "reply": "reply", "speaker": "speaker", "code_approval": "code_approval"}


def pending_out(request: HumanInputRequest | None) -> PendingRequest | None:
    if request is None:
        return None
    blocks = [CodeBlockOut(language=b.language or "", code=b.code or "")
              for b in request.blocks]
    kind = _PENDING_KINDS.get(request.kind, "reply")  # a kind this API does not know: a reply
    return PendingRequest(kind=kind, agent=request.agent, prompt=request.prompt,
                          options=list(request.options or ()), code=blocks)


def run_out(teams: Teams, caller: Caller, run_id: str) -> RunOut:
    info = teams.info(caller, run_id)
    handle = teams.manager.get(caller.actor, run_id)
    base = f"/api/runs/{run_id}"
    links = RunLinks(self=base, events=f"{base}/events", transcript=f"{base}/transcript")
    common: dict[str, Any] = dict(id=info.id, template=info.template_name, task=info.task,
                                  model=info.model_label, started_at=info.started_at,
                                  links=links)
    if handle is not None and not handle.done:
        return RunOut(**common, status=handle.status, last_seq=handle.last_seq,
                      usage=handle.usage, pending=pending_out(handle.pending))
    if handle is not None:  # ended here just now: the handle knows the last seq, tokens too
        last_seq = handle.last_seq
    else:
        events = teams.events_after(caller, run_id, 0)
        last_seq = int(events[-1]["seq"]) if events else 0
    reason, error = info.reason, None
    if reason.startswith("error: "):
        reason, error = "error", reason.removeprefix("error: ")
    return RunOut(**common, status=info.status, reason=reason, summary=info.summary,
                  error=error, finished_at=info.finished_at, last_seq=last_seq,
                  usage=info.usage)


router = APIRouter(prefix="/api", tags=["runs"])


@router.get("/templates", response_model=TemplateList, responses=responses(),
            summary="The templates this service runs")
def list_templates(teams: TeamsDep, caller: CallerDep) -> TemplateList:
    return TemplateList(templates=[template_out(s) for s in teams.served.values()])


@router.get("/templates/{name}", response_model=TemplateOut, responses=responses(404),
            summary="One served template: its agents, model choices and sample tasks")
def get_template(teams: TeamsDep, caller: CallerDep, name: TemplateName) -> TemplateOut:
    return template_out(teams.template(name))


@router.post("/templates/{name}/runs", response_model=RunOut, status_code=201,
             responses=responses(404, 500), summary="Start a run",
             description="Starts the team on a task and returns at once; follow it with "
                         "GET /api/runs/{id}/events. The run is stored like any other and "
                         "shows in the studio's History.")
def start_run(teams: TeamsDep, caller: CallerDep, name: TemplateName, body: StartRun,
              response: Response) -> RunOut:
    run_id = teams.start(caller, teams.template(name), body.task, model=body.model,
                         human=body.human)
    response.headers["Location"] = f"/api/runs/{run_id}"
    return run_out(teams, caller, run_id)


@router.get("/runs", response_model=RunList, responses=responses(),
            summary="Runs of the served templates, newest first")
def list_runs(teams: TeamsDep, caller: CallerDep,
              limit: Annotated[int, Query(ge=1, le=200)] = 20) -> RunList:
    return RunList(runs=[run_out(teams, caller, info.id)
                         for info in teams.list_runs(caller, limit)])


@router.get("/runs/{run_id}", response_model=RunOut, responses=responses(404),
            summary="A run's status, and what it is waiting for")
def get_run(teams: TeamsDep, caller: CallerDep, run_id: RunId) -> RunOut:
    return run_out(teams, caller, run_id)


@router.get("/runs/{run_id}/events", responses={
    **responses(404),
    200: {"description": "Server-Sent Events: each message's id is the event's seq and its "
                         "data the event (as `roundtable run --json` prints it). The stream "
                         "ends after the run's last event (run_finished). Token deltas are "
                         "live only: a run that ended minutes ago, or that another process "
                         "runs in-process, streams its stored events.",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    response_class=StreamingResponse, summary="Follow a run live (Server-Sent Events)")
async def run_events(teams: TeamsDep, caller: CallerDep, run_id: RunId,
                     last_event_id: Annotated[str | None, Header(max_length=20)] = None,
                     after: Annotated[int, Query(ge=0, description=(
                         "Start after this seq (the Last-Event-ID header wins)."))] = 0,
                     ) -> StreamingResponse:
    await blocking(teams.info, caller, run_id)  # 404 before the stream starts
    start = after
    if last_event_id is not None:
        try:
            start = max(0, int(last_event_id))
        except ValueError:
            raise ApiError(400, "Last-Event-ID must be the seq of an event (a whole number)",
                           "invalid_last_event_id") from None

    async def stream() -> AsyncIterator[bytes]:
        yield RETRY_LINE
        async for event in follow(teams, caller, run_id, start):
            yield KEEP_ALIVE_LINE if event is None else sse(event)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/runs/{run_id}/transcript", response_model=TranscriptOut,
            responses={**responses(404), 200: {"content": {"text/plain": {
                "schema": {"type": "string"}}}}},
            summary="The whole stored transcript (JSON, or text as `roundtable run` prints it)")
def transcript(teams: TeamsDep, caller: CallerDep, run_id: RunId,
               format: Annotated[Literal["json", "text"], Query()] = "json") -> Any:
    from studio.runs import transcript_text

    out = run_out(teams, caller, run_id)
    events = teams.events_after(caller, run_id, 0)
    if format == "text":
        return PlainTextResponse(transcript_text(events))
    return TranscriptOut(run=out, events=events)


@router.post("/runs/{run_id}/answer", response_model=RunOut, responses=responses(404, 409),
             summary="Answer what the run is waiting for",
             description="A reply or the next speaker as `text`; a code approval as "
                         "`decision` (approve, refuse with a reason, or edit).")
def answer(teams: TeamsDep, caller: CallerDep, run_id: RunId, body: AnswerIn) -> RunOut:
    handle = teams.live(caller, run_id, "answer")
    pending = _pending(handle)
    if pending is None:
        raise ApiError(409, "the run is not waiting for an answer; use "
                            f"/api/runs/{run_id}/interject to step in", "nothing_pending")
    _control(lambda: handle.answer(_answer_value(pending, body)))
    return run_out(teams, caller, run_id)


@router.post("/runs/{run_id}/interject", response_model=RunOut, responses=responses(404, 409),
             summary="Step in: a message delivered before the next turn")
def interject(teams: TeamsDep, caller: CallerDep, run_id: RunId, body: InterjectIn) -> RunOut:
    handle = teams.live(caller, run_id, "interject")
    _control(lambda: handle.interject(body.text))
    return run_out(teams, caller, run_id)


@router.post("/runs/{run_id}/pause", response_model=RunOut, responses=responses(404, 409),
             summary="Pause the run after its current step")
def pause(teams: TeamsDep, caller: CallerDep, run_id: RunId) -> RunOut:
    _control(teams.live(caller, run_id, "pause").pause)
    return run_out(teams, caller, run_id)


@router.post("/runs/{run_id}/resume", response_model=RunOut, responses=responses(404, 409),
             summary="Resume a paused run")
def resume(teams: TeamsDep, caller: CallerDep, run_id: RunId) -> RunOut:
    _control(teams.live(caller, run_id, "resume").resume)
    return run_out(teams, caller, run_id)


@router.post("/runs/{run_id}/stop", response_model=RunOut, responses=responses(404),
             summary="Stop the run",
             description="The run ends within a second or two; the answer is the stopped run. "
                         "Stopping a run that has ended changes nothing.")
def stop(teams: TeamsDep, caller: CallerDep, run_id: RunId) -> RunOut:
    handle = teams.handle(caller, run_id)
    if handle is not None and not handle.done:
        handle.cancel()
        handle.wait(STOP_WAIT)
    return run_out(teams, caller, run_id)


def _pending(handle: Any, within: float = ANSWER_WAIT) -> Any:
    """What the run asks now. The question's event can reach a client a moment before the
    run is seen waiting (a worker's state travels separately): wait that moment out."""
    deadline = time.monotonic() + within
    pending = handle.pending
    while pending is None and not handle.done and time.monotonic() < deadline:
        time.sleep(0.02)
        pending = handle.pending
    return pending


def _control(call: Any) -> None:
    try:
        call()
    except RunError as exc:
        raise ApiError(409, str(exc), "run_refused") from exc


def _answer_value(pending: Any, body: AnswerIn) -> Any:
    if (body.text is None) == (body.decision is None):
        raise ApiError(400, "send either 'text' (a reply or a speaker) or 'decision' (a code "
                            "approval)", "invalid_answer")
    if pending.kind == "code_approval":
        if body.decision is None:
            raise ApiError(400, "the run is asking to approve code: answer with 'decision': "
                                "{'action': 'approve' | 'refuse' | 'edit', 'reason', 'code'}",
                           "decision_required")
        return _decision(body.decision.action, body.decision.reason, body.decision.code)
    if body.text is None:
        raise ApiError(400, f"the run is asking for a {pending.kind}: answer with 'text'",
                       "text_required")
    return body.text


def _decision(action: str, reason: str, code: str) -> Any:
    from studio.engine import CodeDecision

    try:
        return CodeDecision(action, reason=reason.strip(), code=code)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ApiError(400, str(exc), "invalid_decision") from exc
