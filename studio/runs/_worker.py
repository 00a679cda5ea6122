"""What a Celery worker does with a run: claim it, rebuild it if it had started, run it.

A worker process keeps one :class:`WorkerRuntime`: its lease (heartbeat), the store, the
registry, a Redis client, and one thread that applies the studio's controls to the runs
executing here. :meth:`WorkerRuntime.execute` is the body of the Celery task.

A run that another worker had started (that worker died: its lease expired) is rebuilt
from the store with the engine's :class:`~studio.engine.Recording`: the conversation goes on
from its last stored message, with a "resumed on another worker" notice; if code was
running when the other worker died, the run ends ``interrupted`` with that reason. A
continued or forked run is rebuilt the same way: it was created holding a copy of the
conversation it goes on from (and, for a continued run, the follow-up to send in its options).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.engine import (
    Cancelled,
    CancelToken,
    CodeDecision,
    HumanAnswer,
    HumanInputRequest,
    NoHuman,
    Recording,
    RunControl,
)
from studio.engine.transcript import RunOutcome, describe_error
from studio.spec import TemplateSpec
from studio.store import Actor, NotFound

from ._channel import RunChannel, read_streams, redis_client
from ._execution import Execution, expire_unanswered
from ._handle import FINAL_STATUSES, RunHandle, TrackedHuman
from ._lease import Heartbeat
from ._models import actor_registry, make_team
from ._sweep import LostRunSweep

if TYPE_CHECKING:
    from redis import Redis

    from studio.spec import Registry
    from studio.store import Store


class KeyedMailbox:
    """Human input for a run on a worker: an answer names the question it answers (the seq
    of its ``human_input_requested`` event), so a late or repeated answer never reaches
    another question, and an answer given just before a worker died is not lost."""

    def __init__(self, current: Callable[[], int]) -> None:
        self._current = current
        self._answers: dict[int, HumanAnswer] = {}
        self._changed = threading.Condition()

    def offer(self, request_seq: int, answer: HumanAnswer) -> None:
        with self._changed:
            self._answers.setdefault(int(request_seq), answer)
            self._changed.notify_all()

    def put(self, answer: HumanAnswer) -> bool:
        self.offer(self._current(), answer)
        return True

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer:
        seq = self._current()
        with self._changed:
            while seq not in self._answers:
                if cancel.is_set():
                    raise Cancelled()
                self._changed.wait(0.1)
            return self._answers.pop(seq)


class _Live:
    """A run executing in this worker, as the control thread sees it."""

    def __init__(self, execution: Execution, channel: RunChannel, mailbox: KeyedMailbox | None,
                 skip_interjections: int) -> None:
        self.execution = execution
        self.channel = channel
        self.mailbox = mailbox
        self.skip_interjections = skip_interjections
        self.last_control = "0"
        self.reading = threading.Lock()  # the control thread, or the run at its end


class WorkerRuntime:
    """The per-process state of a worker (created on the first task, or explicitly)."""

    def __init__(self, store: Store, registry: Registry, *, data_dir: Path, broker: str,
                 enqueue: Callable[[str], None], lease_ttl: float | None = None) -> None:
        self.store = store
        self.registry = registry
        self.data_dir = Path(data_dir)
        self.redis: Redis = redis_client(broker)
        self.enqueue = enqueue
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._lost = LostRunSweep(store, self.redis)
        self.heartbeat = Heartbeat(store, "worker", ttl=lease_ttl, on_beat=self._rescue)
        self._controls = threading.Thread(target=self._control_loop, name="run-controls",
                                          daemon=True)
        self._controls.start()

    @property
    def lease_id(self) -> str:
        return self.heartbeat.lease_id

    def close(self) -> None:
        self._stop.set()
        self.heartbeat.stop()

    def hand_over(self) -> None:
        """The worker is shutting down: stop the runs here without recording an end, and end
        the lease so other workers take them over at once."""
        with self._lock:
            lives = list(self._live.values())
        for live in lives:
            live.execution.hand_over()
        self.close()

    # -- taking over the runs of dead workers ------------------------------------------------
    def _rescue(self) -> None:
        for run_id in self.store.release_orphaned_runs("celery"):
            self.enqueue(run_id)
        self._lost()  # runs whose message the broker lost: interrupted, with the reason

    # -- the task --------------------------------------------------------------------------
    def execute(self, run_id: str) -> str:
        """Claim the run and run it to its end here; returns how it ended (or why not)."""
        with self._lock:
            if run_id in self._live:
                return "already running here"
        try:
            if not self.store.claim_run(run_id, self.lease_id):
                return "held by another worker, or over"
        except NotFound:
            return "not in this worker's database (check that studios and workers share --db-url)"
        system = Actor.system()
        info = self.store.get_run(system, run_id)
        channel = RunChannel(self.redis, run_id)
        stored = self.store.run_events(system, run_id)
        owner = self.store.actor_by_id(info.owner_id)  # whose keys and models the run uses
        options = dict(info.options or {})
        work_dir = self.data_dir / "runs" / run_id
        work_dir.mkdir(parents=True, exist_ok=True)
        if info.work_dir != str(work_dir):
            self.store.set_run_work_dir(run_id, work_dir)
        last = max([e.seq for e in stored] + [channel.last_seq()])
        # a continued or forked run was created holding a copy of the conversation it goes
        # on from: replayed like the rest, but said before this run (no resume, no controls)
        origin = dict(options.get("replay") or {})
        copied = int(origin.get("copied") or 0)
        since = [e for e in stored if e.seq > copied]
        resumed = any(e.kind != "run_started" for e in since)
        holder: list[Any] = []
        never = options.get("human") == "never"
        mailbox = None if never else KeyedMailbox(lambda: holder[0]._request_seq)
        tracked = TrackedHuman(mailbox or NoHuman(),
                               on_change=lambda request: self._on_pending(channel, holder, request))
        replay = (Recording.of([e.data for e in stored], resume=resumed or not copied)
                  if stored else None)
        control = RunControl(human=tracked, replay=replay)
        handle = RunHandle(run_id, template_name=info.template_name, task=info.task,
                           model_label=info.model_label, work_dir=work_dir, control=control,
                           human=tracked, first_seq=last + 1, owner_id=info.owner_id)
        handle._saw_start = bool(stored)
        handle._request_seq = max([e.seq for e in stored if e.kind == "human_input_requested"],
                                  default=0)
        holder.append(handle)
        execution = Execution(self.store, handle, holder=self.lease_id, mirror=self._mirror)
        control._on_event = execution.on_event
        expire_unanswered(tracked, execution, options.get("answer_timeout"))
        _republish(channel, stored)
        channel.open_controls()
        channel.set_state(status="running", work_dir=str(work_dir), worker=self.lease_id,
                          request_seq=handle._request_seq)
        delivered = sum(1 for e in since if e.kind == "interjection")
        live = _Live(execution, channel, mailbox, skip_interjections=delivered)
        execution.take_last_controls = lambda: self._apply_controls(live, last=True)
        with self._lock:
            self._live[run_id] = live
        try:
            self._apply_controls(live)  # what the studio said before this worker had the run
            try:
                team, _label = make_team(
                    TemplateSpec.model_validate(info.template_snapshot), store=self.store,
                    registry=actor_registry(self.store, owner, self.registry), actor=owner,
                    work_dir=work_dir, options=options)
            except Exception as exc:  # the worker cannot build this team (a missing key...)
                return self._cannot_build(execution, describe_error(exc))
            if resumed:
                execution.notice(
                    "Resumed on another worker: the worker running this conversation stopped; "
                    "it goes on from the last stored message.", kind="resumed")
            execution.run(team, info.task, control, announce=not stored,
                          followup=origin.get("followup"))
        finally:
            with self._lock:
                self._live.pop(run_id, None)
            if not execution.lost:  # else the run's new holder owns the channel
                self._final_state(channel, handle)
        if info.options.get("cleanup_work_dir") and handle.status in FINAL_STATUSES:
            shutil.rmtree(work_dir, ignore_errors=True)
        return handle.status

    def _cannot_build(self, execution: Execution, reason: str) -> str:
        execution.safe_emit({"type": "error", "text": reason, "agent": ""})
        execution.end(RunOutcome("failed", "error", error=reason))
        return "failed"

    # -- publishing ------------------------------------------------------------------------
    def _mirror(self, handle: RunHandle, event: dict[str, Any]) -> None:
        live = self._live.get(handle.run_id)
        channel = live.channel if live is not None else RunChannel(self.redis, handle.run_id)
        channel.publish(event)
        kind = event["type"]
        if kind in ("message", "paused", "resumed", "human_input_requested",
                    "human_input_received", "chat_finished"):
            fields: dict[str, Any] = {"status": handle.status, "usage": handle.usage}
            if kind == "human_input_requested":
                fields["request_seq"] = int(event["seq"])
            channel.set_state(**fields)

    def _on_pending(self, channel: RunChannel, holder: list[RunHandle],
                    request: HumanInputRequest | None) -> None:
        handle = holder[0]
        if request is None:
            channel.set_state(pending=None, status="running")
            return
        channel.set_state(status="waiting", request_seq=handle._request_seq,
                          pending={"agent": request.agent, "prompt": request.prompt,
                                   "kind": request.kind, "options": list(request.options),
                                   "blocks": [{"code": b.code, "language": b.language}
                                              for b in request.blocks]})

    def _final_state(self, channel: RunChannel, handle: RunHandle) -> None:
        if not handle.done:  # the task was stopped from outside (the worker shuts down)
            return
        try:
            channel.set_state(status=handle.status, reason=handle.reason, summary=handle.summary,
                              error=handle.error, usage=handle.usage, pending=None,
                              finished_at=handle.finished_at)
            channel.expire()
        except Exception:
            pass

    # -- controls from the studio processes --------------------------------------------------
    def _control_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                lives = list(self._live.values())
            if not lives:
                self._stop.wait(0.2)
                continue
            try:
                found = read_streams(self.redis, {live.channel.control_key: live.last_control
                                                  for live in lives}, block=500)
            except Exception:
                self._stop.wait(0.5)
                continue
            by_key = {live.channel.control_key: live for live in lives}
            for key in found:
                live = by_key.get(key)
                if live is not None:
                    self._apply_controls(live)

    def _apply_controls(self, live: _Live, *, last: bool = False) -> None:
        """The run's new controls, in order; ``last`` when the run is ending: a person's
        message sent after this is refused rather than left unread."""
        with live.reading:  # each control once, in order, whichever thread reads it
            channel = live.channel
            found = (channel.close_controls(live.last_control) if last
                     else channel.controls_after(live.last_control))
            for entry_id, control in found:
                live.last_control = entry_id
                _apply(live, control)


def _apply(live: _Live, control: dict[str, Any]) -> None:
    handle = live.execution.handle
    op = control.get("op")
    try:
        if op == "cancel":
            handle.cancel()
        elif op == "pause":
            handle.pause()
        elif op == "resume":
            handle.resume()
        elif op == "interject":
            if live.skip_interjections > 0:  # delivered before this worker had the run
                live.skip_interjections -= 1
            else:
                handle.interject(str(control.get("text", "")))
        elif op == "answer" and live.mailbox is not None:
            decision = control.get("decision")  # a code approval travels as CodeDecision.to_dict()
            live.mailbox.offer(int(control.get("request_seq") or 0),
                               CodeDecision.from_dict(decision) if decision
                               else str(control.get("text", "")))
    except Exception:  # a control for a run that just ended: nothing to do
        pass
    if op in ("pause", "resume"):
        live.channel.set_state(status=handle.status)


def _republish(channel: RunChannel, stored: list[Any]) -> None:
    """Put stored events the stream lacks (the last worker died between the two) back."""
    if not stored:
        return
    have = channel.last_seq()
    for event in stored:
        if event.seq > have:
            channel.publish({**event.data, "seq": event.seq})

