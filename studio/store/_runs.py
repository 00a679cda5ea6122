"""Runs and their transcript: every event is committed when its append call returns.

A run belongs to the person who started it (``owner_id``): only they and the
administrators can list, open, export or delete it. The calls the run manager makes while
the run goes (append events, usage, finish) are system calls on a run it holds: they take
no actor.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from studio.engine.events import Event
from studio.engine.transcript import RunOutcome

from ._actor import Actor, own, visible
from ._errors import NotFound, StoreError
from ._events import event_columns
from ._leases import LeasesMixin
from ._process import owner_is_other_live_process, process_owner
from ._records import FINAL_STATUSES, LIVE_STATUSES, RunEvent, RunInfo
from ._tables import RunEventRow, RunRow, now

RUN_EXPORT_FORMAT = "roundtable-run/1"


def run_info(row: RunRow) -> RunInfo:
    return RunInfo(
        id=row.id,
        template_name=row.template_name,
        task=row.task,
        model_label=row.model_label,
        status=row.status,
        reason=row.reason,
        summary=row.summary,
        started_at=row.started_at,
        finished_at=row.finished_at,
        total_tokens=row.total_tokens,
        cost=row.cost,
        usage=copy.deepcopy(row.usage or {}),
        work_dir=row.work_dir,
        template_snapshot=copy.deepcopy(row.template_snapshot or {}),
        owner_id=row.owner_id,
        holder=row.holder,
        mode=row.mode,
        options=copy.deepcopy(row.options or {}),
        source=row.source or "",
        api_key_id=row.api_key_id,
    )


def run_event(row: RunEventRow) -> RunEvent:
    return RunEvent(
        run_id=row.run_id,
        seq=row.seq,
        kind=row.kind,
        data=copy.deepcopy(row.data or {}),
        chat_id=row.chat_id,
        depth=row.depth,
        sender=row.sender,
        recipient=row.recipient,
        role=row.role,
        content=row.content,
        created_at=row.created_at,
    )


def _tokens(usage: dict[str, Any]) -> int:
    if "total_tokens" in usage:
        return int(usage["total_tokens"] or 0)
    return int(usage.get("prompt_tokens", 0) or 0) + int(usage.get("completion_tokens", 0) or 0)


class RunsMixin(LeasesMixin):
    def _run_row(self, session: Session, run_id: str, actor: Actor | None = None) -> RunRow:
        """The run; with an ``actor``, only if they may see it (else NotFound: another
        person's run does not exist for them)."""
        row = session.get(RunRow, run_id)
        if row is None or (actor is not None and not actor.owns(row.owner_id)):
            raise NotFound("run", run_id)
        return row

    def create_run(
        self,
        actor: Actor,
        template_name: str,
        template_snapshot: dict[str, Any],
        task: str,
        model_label: str = "",
        *,
        work_dir: str | os.PathLike[str] | None = None,
        run_id: str | None = None,
        holder: str | None = None,
        mode: str = "local",
        options: dict[str, Any] | None = None,
        source: str = "",
        api_key_id: int | None = None,
        events: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """Record a new run owned by ``actor`` and return its id: ``running`` under ``holder``
        (the lease of the process executing it), or ``queued`` when no holder is given for a
        ``celery`` run. ``source``: where it was started (studio, cli or api, with the
        ``api_key_id``). ``events``: its first transcript items, written in the same
        transaction (a continued or forked run's copy of the conversation it comes from, so
        no worker ever sees the run without it); each holds :meth:`append_event`'s
        arguments (``seq``, ``kind``, ``data`` and the columns)."""
        if not isinstance(template_snapshot, dict):
            raise StoreError("create_run: template_snapshot must be a JSON object (a dict)")
        new_id = run_id or uuid.uuid4().hex
        with self._write() as session:
            session.add(
                RunRow(
                    id=new_id,
                    template_name=template_name,
                    template_snapshot=copy.deepcopy(template_snapshot),
                    task=task,
                    model_label=model_label,
                    status="queued" if holder is None and mode == "celery" else "running",
                    work_dir=None if work_dir is None else os.fspath(work_dir),
                    owner=process_owner(),
                    owner_id=actor.id,
                    holder=holder,
                    mode=mode,
                    options=copy.deepcopy(options or {}),
                    source=source,
                    api_key_id=api_key_id,
                )
            )
            session.flush()
            self._add_events(session, new_id, events, holder=None)
        return new_id

    def set_run_work_dir(self, run_id: str, work_dir: str | os.PathLike[str] | None) -> None:
        with self._write() as session:
            row = self._run_row(session, run_id)
            row.work_dir = None if work_dir is None else os.fspath(work_dir)
            session.add(row)

    def append_event(
        self,
        run_id: str,
        seq: int,
        kind: str,
        data: dict[str, Any],
        *,
        chat_id: str = "",
        depth: int = 0,
        sender: str = "",
        recipient: str = "",
        role: str | None = None,
        content: str | None = None,
        holder: str | None = None,
    ) -> None:
        """Write one transcript item and commit it before returning. With ``holder``, only
        while that lease still holds the run (else :class:`LeaseLost`, nothing written)."""
        self.append_events(run_id, [{
            "seq": seq, "kind": kind, "data": data, "chat_id": chat_id, "depth": depth,
            "sender": sender, "recipient": recipient, "role": role, "content": content}],
            holder=holder)

    def append_events(self, run_id: str, events: Sequence[Mapping[str, Any]], *,
                      holder: str | None = None) -> None:
        """Write transcript items (each holds :meth:`append_event`'s arguments) in one
        transaction: all of them are stored, or none."""
        with self._write() as session:
            self._add_events(session, run_id, events, holder)

    def _add_events(self, session: Session, run_id: str, events: Sequence[Mapping[str, Any]],
                    holder: str | None) -> RunRow:
        run = session.get(RunRow, run_id)
        if run is None:
            raise NotFound("run", run_id)
        self._check_holder(run, holder)
        seqs = [int(item["seq"]) for item in events]
        if len(set(seqs)) != len(seqs):
            raise StoreError(f"run {run_id!r}: events written together repeat a seq")
        if seqs:
            taken = session.exec(select(RunEventRow.seq).where(
                RunEventRow.run_id == run_id, col(RunEventRow.seq).in_(seqs))).first()
            if taken is not None:
                raise StoreError(f"run {run_id!r} already has an event with seq {taken}")
        for item in events:
            fields = dict(item)
            session.add(RunEventRow(run_id=run_id, **{**fields,
                                                      "data": copy.deepcopy(fields["data"])}))
        return run

    def append_engine_event(self, run_id: str, seq: int, event: Event) -> None:
        """:meth:`append_event` for an engine event (kind, data and columns filled in).
        Callers usually skip token deltas (see ``PERSISTED_EVENTS``)."""
        self.append_event(run_id, seq, **event_columns(event))

    def next_seq(self, run_id: str) -> int:
        """1 + the highest ``seq`` stored for the run (1 when it has none)."""
        with self._read() as session:
            value = session.exec(
                select(func.max(RunEventRow.seq)).where(RunEventRow.run_id == run_id)
            ).one()
            return int(value or 0) + 1

    def update_run_usage(self, run_id: str, tokens: int, cost: float) -> None:
        """Set the running totals shown while the run is going."""
        with self._write() as session:
            row = self._run_row(session, run_id)
            row.total_tokens = int(tokens)
            row.cost = float(cost)
            session.add(row)

    def finish_run(
        self,
        run_id: str,
        status: str,
        reason: str = "",
        summary: str = "",
        usage: dict[str, Any] | None = None,
        *,
        holder: str | None = None,
        events: Sequence[Mapping[str, Any]] = (),
    ) -> RunInfo:
        """Close a run. ``usage`` may hold ``total_tokens`` (or prompt/completion tokens)
        and ``cost``; it is stored whole as well. With ``holder``, only while that lease
        holds the run (:class:`LeaseLost` otherwise); its verdict then replaces an
        ``interrupted`` one given while its heartbeat was late. ``events``: the last
        transcript items (as for :meth:`append_events`), written in the same transaction:
        a run's end is stored whole (one flush to disk) or not at all, and a run whose end
        was not stored is marked ``interrupted`` later (:meth:`mark_interrupted_runs`)."""
        if status not in FINAL_STATUSES:
            raise StoreError(f"finish_run: status must be one of {', '.join(FINAL_STATUSES)}")
        usage = dict(usage or {})
        with self._write() as session:
            row = self._add_events(session, run_id, events, holder)
            row.status = status
            row.reason = reason
            row.summary = summary
            row.finished_at = now()
            if usage:
                row.usage = copy.deepcopy(usage)
                row.total_tokens = _tokens(usage) or row.total_tokens
                row.cost = float(usage.get("cost", row.cost) or 0.0)
            session.add(row)
            session.flush()
            return run_info(row)

    def mark_interrupted_runs(self) -> int:
        """Mark local runs whose process is gone as ``interrupted`` (their events stay): runs
        whose holder's lease has expired or whose holder is provably dead (see
        :meth:`expire_dead_leases`), and runs from before leases whose process is not alive
        on this machine. Runs on Celery workers are never marked (another worker takes them
        over). Returns how many runs were marked."""
        self.expire_dead_leases()
        with self._write() as session:
            rows = session.exec(select(RunRow).where(
                RunRow.status == "running", RunRow.mode == "local",
                self._orphan_filter(now())).with_for_update())
            stale = [r for r in rows if r.holder is not None
                     or not owner_is_other_live_process(r.owner)]
            stamp = now()
            for row in stale:
                row.status = "interrupted"
                row.reason = row.reason or "the server stopped while the run was going"
                row.finished_at = stamp
                session.add(row)
            return len(stale)

    def interrupt_lost_run(self, run_id: str, reason: str) -> dict[str, Any] | None:
        """End a run that waits for a worker (no holder) as ``interrupted`` with ``reason``,
        and close its transcript with a ``run_finished`` event saying so (returned, with its
        ``seq``). None when a worker holds the run by now, or it has ended."""
        with self._write() as session:
            row = session.exec(select(RunRow).where(RunRow.id == run_id).with_for_update()
                               ).first()
            if row is None or row.status not in LIVE_STATUSES or row.holder is not None:
                return None
            last = session.exec(select(func.max(RunEventRow.seq))
                                .where(RunEventRow.run_id == run_id)).one()
            event = {**RunOutcome("interrupted", reason).final_record(row.usage or {}),
                     "seq": int(last or 0) + 1}
            session.add(RunEventRow(run_id=run_id, seq=event["seq"], kind="run_finished",
                                    data=copy.deepcopy(event), content=""))
            row.status = "interrupted"
            row.reason = reason
            row.finished_at = now()
            session.add(row)
            return event

    def get_run(self, actor: Actor, run_id: str) -> RunInfo:
        with self._read() as session:
            return run_info(self._run_row(session, run_id, actor))

    def run_owner(self, run_id: str) -> int | None:
        """Who started the run (system call: for checks made by the run manager)."""
        with self._read() as session:
            return self._run_row(session, run_id).owner_id

    def list_runs(
        self,
        actor: Actor,
        limit: int = 50,
        offset: int = 0,
        template: str | None = None,
        status: str | None = None,
        source: str | None = None,
    ) -> list[RunInfo]:
        """The runs the actor may see (administrators: everyone's), newest first; only
        those started from ``source`` (studio, cli, api) when given."""
        with self._read() as session:
            query = select(RunRow).where(visible(RunRow.owner_id, actor))
            if template is not None:
                query = query.where(RunRow.template_name == template)
            if status is not None:
                query = query.where(RunRow.status == status)
            if source is not None:
                query = query.where(RunRow.source == source)
            query = query.order_by(col(RunRow.started_at).desc(), col(RunRow.id)).offset(offset)
            return [run_info(r) for r in session.exec(query.limit(limit))]

    def count_runs(
        self, actor: Actor, template: str | None = None, status: str | None = None,
        source: str | None = None,
    ) -> int:
        with self._read() as session:
            query = select(func.count()).select_from(RunRow).where(
                visible(RunRow.owner_id, actor))
            if template is not None:
                query = query.where(RunRow.template_name == template)
            if status is not None:
                query = query.where(RunRow.status == status)
            if source is not None:
                query = query.where(RunRow.source == source)
            return int(session.exec(query).one())

    def run_events(
        self, actor: Actor, run_id: str, after_seq: int | None = None
    ) -> list[RunEvent]:
        """The run's events in ``seq`` order (only those after ``after_seq`` when given)."""
        with self._read() as session:
            self._run_row(session, run_id, actor)
            query = select(RunEventRow).where(RunEventRow.run_id == run_id)
            if after_seq is not None:
                query = query.where(RunEventRow.seq > after_seq)
            return [run_event(r) for r in session.exec(query.order_by(col(RunEventRow.seq)))]

    def opening_events(self, actor: Actor, run_ids: Sequence[str], kind: str, *,
                       within: int) -> dict[str, RunEvent]:
        """The event of ``kind`` among the first ``within`` events of each of these runs
        (by run id; a run without one, or that the actor may not see, is left out): what a
        list of runs shows of how each began, without reading their transcripts."""
        if not run_ids:
            return {}
        with self._read() as session:
            query = (select(RunEventRow).join(RunRow, col(RunRow.id) == RunEventRow.run_id)
                     .where(visible(RunRow.owner_id, actor),
                            col(RunEventRow.run_id).in_(list(run_ids)),
                            RunEventRow.kind == kind, RunEventRow.seq <= within)
                     .order_by(col(RunEventRow.seq).desc()))
            return {row.run_id: run_event(row) for row in session.exec(query)}

    def delete_run(self, actor: Actor, run_id: str) -> str | None:
        """Delete a run and its events; return its work dir so the caller can remove it."""
        with self._write() as session:
            row = self._run_row(session, run_id, actor)
            work_dir = row.work_dir
            session.execute(delete(RunEventRow).where(col(RunEventRow.run_id) == run_id))
            session.delete(row)
            return work_dir

    def usage_since(self, actor: Actor, since: float) -> tuple[int, float]:
        """Tokens and cost of the actor's runs started since ``since`` (for budgets)."""
        with self._read() as session:
            tokens, cost = session.exec(
                select(func.coalesce(func.sum(RunRow.total_tokens), 0),
                       func.coalesce(func.sum(RunRow.cost), 0.0))
                .where(own(RunRow.owner_id, actor),
                       col(RunRow.started_at) >= since)).one()
            return int(tokens or 0), float(cost or 0.0)

    def export_run(self, actor: Actor, run_id: str) -> dict[str, Any]:
        """The run and its transcript as JSON-ready data (for Markdown/JSON export)."""
        info = self.get_run(actor, run_id)
        events = self.run_events(actor, run_id)
        return {
            "format": RUN_EXPORT_FORMAT,
            "run": run_to_dict(info),
            "events": [event_to_dict(e) for e in events],
        }


def run_to_dict(info: RunInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "template_name": info.template_name,
        "template_snapshot": copy.deepcopy(info.template_snapshot),
        "task": info.task,
        "model_label": info.model_label,
        "status": info.status,
        "reason": info.reason,
        "summary": info.summary,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "total_tokens": info.total_tokens,
        "cost": info.cost,
        "usage": copy.deepcopy(info.usage),
        "work_dir": info.work_dir,
    }


def event_to_dict(event: RunEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "chat_id": event.chat_id,
        "depth": event.depth,
        "sender": event.sender,
        "recipient": event.recipient,
        "role": event.role,
        "content": event.content,
        "data": copy.deepcopy(event.data),
        "created_at": event.created_at,
    }
