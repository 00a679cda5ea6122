"""The run manager: starts runs (a thread here, or a Celery worker) and finds them again."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from studio.engine import DemoPace, HumanInputProvider, Mailbox, NoHuman, Recording, RunControl
from studio.spec import TemplateSpec, load_template
from studio.store import LIVE_STATUSES, NotFound

from ._budget import daily_limit_reached
from ._channel import RunChannel
from ._errors import BudgetExceeded, RunError
from ._execution import Execution, expire_unanswered
from ._handle import FINAL_STATUSES, QUEUED, RunHandle, TrackedHuman
from ._lease import Heartbeat, lease_ttl
from ._lineage import opening
from ._models import actor_registry, make_team
from ._persist import store_row
from ._remote import RemoteHandle
from ._sweep import LostRunSweep, Periodic

if TYPE_CHECKING:
    from studio.spec import Registry
    from studio.store import Actor, Store

    from ._celery import CeleryDispatch

HumanChoice = Literal["mailbox", "never"] | HumanInputProvider


class RunManager:
    """Starts runs and finds them again; one per process. The pages use only this.

    Without ``broker`` a run is a thread of this process (the embedded runner). With a
    ``broker`` (a Redis URL; see ``roundtable worker``) runs are handed to Celery workers, and
    :meth:`get` finds any live run, whichever studio process started it.

    Every transcript event is committed to the store before it is shown (a chat's end
    together with what follows it; the run's end in one transaction); token deltas stay
    live only. This process's runs are held under its lease (a heartbeat in the
    store): other processes mark them ``interrupted`` only once that lease has expired.

    ``registry`` holds the components everyone has (the bundled ones); each run adds the
    model configs and tools of the person starting it. Every call takes the acting
    :class:`~studio.store.Actor`: a run (its row holds ``owner_id``, so any process can
    check) is seen and controlled by the person who started it and by administrators;
    members' runs are held to their budgets.
    """

    def __init__(self, store: Store, registry: Registry, *, data_dir: Path,
                 demo_token_delay: float = 0.0, demo_pace: DemoPace | str = DemoPace.INSTANT,
                 broker: str | None = None) -> None:
        self.store = store
        self.registry = registry
        self.data_dir = Path(data_dir)
        self.demo_token_delay = demo_token_delay  # seconds per word; overrides the pace
        self.demo_pace = DemoPace(demo_pace)
        self.broker = broker or None
        self._runs: dict[str, RunHandle] = {}
        self._remote: dict[str, RemoteHandle] = {}
        self._lock = threading.Lock()
        self._dispatch: CeleryDispatch | None = None
        self._redis: Any = None
        self._heartbeat: Heartbeat | None = None
        self._sweep: Periodic | None = None
        if self.broker:
            from ._celery import CeleryDispatch, check_broker
            from ._channel import redis_client

            check_broker(self.broker)
            self._dispatch = CeleryDispatch(self.broker)
            self._redis = redis_client(self.broker)
            # runs whose message the broker lost end "interrupted" even with no worker up
            self._sweep = Periodic(lease_ttl() / 5, LostRunSweep(store, self._redis),
                                   name="lost-runs")
        else:
            self._heartbeat = Heartbeat(store, "studio", on_beat=store.mark_interrupted_runs)
        self.interrupted_on_start = store.mark_interrupted_runs()

    @property
    def mode(self) -> str:
        """``in-process`` or ``celery``."""
        return "celery" if self._dispatch is not None else "in-process"

    # -- starting --------------------------------------------------------------------------
    def registry_for(self, actor: Actor) -> Registry:
        """The bundled components plus the actor's own (and shared) models and tools."""
        return actor_registry(self.store, actor, self.registry)

    def check_budget(self, actor: Actor) -> None:
        """Raise :class:`BudgetExceeded` (saying which limit, and what to do) when the
        actor's budget does not allow one more run now."""
        budget = self.store.budget_for(actor)
        if budget.concurrent_runs is not None:
            going = sum(self.store.count_runs(actor, status=status)
                        for status in LIVE_STATUSES) if not actor.is_admin else 0
            if going >= budget.concurrent_runs:
                raise BudgetExceeded(
                    f"Budget reached: you have {going} run{'s' if going != 1 else ''} going and "
                    f"may run {budget.concurrent_runs} at a time. Stop one, or wait for it to "
                    "end.")
        reached = daily_limit_reached(self.store, actor, budget)
        if reached:
            raise BudgetExceeded(f"{reached} Ask the workshop's administrator for more, or try "
                                 "again later.")

    def start(self, actor: Actor, template: dict[str, Any] | TemplateSpec, task: str, *,
              template_name: str, model: str | None = None, human: HumanChoice = "mailbox",
              timeout: float | None = None, retries: int | None = None,
              demo_pace: DemoPace | str | None = None, replay: Recording | None = None,
              followup: str | list[str] | None = None,
              lineage: dict[str, Any] | None = None,
              source: str = "studio", api_key_id: int | None = None,
              answer_timeout: float | None = None) -> str:
        """Start a run owned by ``actor`` and return its id (a member over budget gets
        :class:`BudgetExceeded`).

        ``model``: None runs the template's own models; "demo", "local" or a stored model
        config name makes every agent use that model. ``human``: "mailbox" (answer through
        the handle), "never" (humans are never asked) or a provider (in-process only).
        ``timeout`` (seconds) and ``retries`` replace every OpenAI-compatible model's own.
        A template that does not validate raises ``SpecError``; one that cannot be built
        here (missing API key, unknown model) raises ``BuildError``/``RunError``, and
        nothing is recorded. ``demo_pace`` (default: the manager's) paces the Demo model:
        instant or readable. ``replay``: a recording of an earlier run of the same team,
        copied into this one and rebuilt from (see :mod:`studio.runs._lineage`);
        ``followup`` then continues the conversation with that message (a list: those
        messages in order, the follow-ups the recording holds first); ``lineage`` is
        shown at the top of the transcript. On workers such a run is created holding the
        copy (see :func:`~studio.runs._lineage.opening`), and the worker rebuilds it from the
        store the way it resumes any run. ``source`` says where the run was started (studio,
        cli or api, with the ``api_key_id`` it was started with); History shows it.
        ``answer_timeout`` (seconds): a question nobody answers for that long stops the run
        (reason ``no answer``), here or on a worker.
        """
        self.check_budget(actor)
        registry = self.registry_for(actor)
        spec = template if isinstance(template, TemplateSpec) else load_template(
            template, registry=registry)
        task = task.strip() or spec.default_task
        if not task:
            raise RunError("give the run a task: the template has no sample task to use")
        options: dict[str, Any] = {
            "model": model, "human": human if isinstance(human, str) else "provider",
            "timeout": timeout, "retries": retries,
            "demo_pace": str(DemoPace(demo_pace or self.demo_pace).value),
            "demo_token_delay": self.demo_token_delay, "answer_timeout": answer_timeout}
        if self._dispatch is not None:
            copy = opening(task, replay, lineage) if replay is not None else []
            if copy or followup is not None:
                options["replay"] = {"copied": len(copy), "followup": followup}
            return self._enqueue(actor, spec, task, template_name=template_name,
                                 options=options, human=human, registry=registry,
                                 source=source, api_key_id=api_key_id, copy=copy)
        run_id = uuid.uuid4().hex
        work_dir = self.data_dir / "runs" / run_id
        tracked = TrackedHuman(_provider(human))
        try:
            work_dir.mkdir(parents=True, exist_ok=False)
            team, label = make_team(spec, store=self.store, registry=registry, actor=actor,
                                    work_dir=work_dir, options=options)
        except BaseException:
            shutil.rmtree(work_dir, ignore_errors=True)
            raise
        assert self._heartbeat is not None
        self.store.create_run(actor, template_name, spec.to_dict(), task, label,
                              work_dir=work_dir, run_id=run_id,
                              holder=self._heartbeat.lease_id, source=source,
                              api_key_id=api_key_id)
        control = RunControl(human=tracked, replay=replay, echo_replayed=replay is not None)
        handle = RunHandle(run_id, template_name=template_name, task=task, model_label=label,
                           work_dir=work_dir, control=control, human=tracked,
                           owner_id=actor.id, owner_name=actor.name)
        execution = Execution(self.store, handle, holder=self._heartbeat.lease_id)
        control._on_event = execution.on_event
        expire_unanswered(tracked, execution, answer_timeout)
        with self._lock:
            self._runs[run_id] = handle
        thread = threading.Thread(target=execution.run, args=(team, task, control),
                                  kwargs={"followup": followup, "lineage": lineage},
                                  name=f"run-{run_id[:8]}", daemon=True)
        thread.start()
        return run_id

    def _enqueue(self, actor: Actor, spec: TemplateSpec, task: str, *, template_name: str,
                 options: dict[str, Any], human: HumanChoice, registry: Registry,
                 source: str, api_key_id: int | None, copy: list[dict[str, Any]]) -> str:
        """Check the team builds, record the run as queued (with ``copy``, the conversation
        it goes on from) and hand it to the workers."""
        if not isinstance(human, str) or human not in ("mailbox", "never"):
            raise RunError("a run on a worker is answered through the studio: "
                           "use human='mailbox' or 'never'")
        assert self._dispatch is not None
        with tempfile.TemporaryDirectory(prefix="roundtable-check-") as scratch:
            _team, label = make_team(spec, store=self.store, registry=registry, actor=actor,
                                     work_dir=Path(scratch), options=options)
        run_id = uuid.uuid4().hex
        self.store.create_run(actor, template_name, spec.to_dict(), task, label, run_id=run_id,
                              mode="celery", options=options, source=source,
                              api_key_id=api_key_id,
                              events=[store_row(event) for event in copy])
        channel = RunChannel(self._redis, run_id)
        for event in copy:  # shown while the run waits for a worker
            channel.publish(event)
        channel.set_state(status=QUEUED)
        self._dispatch.enqueue(run_id)
        return run_id

    # -- looking up ------------------------------------------------------------------------
    def get(self, actor: Actor, run_id: str) -> RunHandle | RemoteHandle | None:
        """The live handle of a run the actor may see (its owner, or an administrator): one
        started by this process, or (with a broker) any run that is queued or going on a
        worker. None for a run that has ended elsewhere (read its transcript from the
        store), an unknown id, or another person's run (for a member it does not exist)."""
        with self._lock:
            local = self._runs.get(run_id)
            remote = self._remote.get(run_id)
        if local is not None:
            return local if actor.owns(local.owner_id) else None
        if self._redis is None:
            return None
        if remote is not None:
            return remote if actor.owns(remote.owner_id) else None
        channel = RunChannel(self._redis, run_id)
        state = channel.state()
        if not state or state.get("status") in FINAL_STATUSES:
            return None
        try:
            info = self.store.get_run(actor, run_id)
        except NotFound:
            return None
        try:
            owner_name = self.store.actor_by_id(info.owner_id).name
        except NotFound:  # the account is gone; its run still shows
            owner_name = ""
        handle = RemoteHandle(channel, info, self.store, owner_name=owner_name)
        with self._lock:
            self._remote[run_id] = handle
        return handle

    def active(self, actor: Actor) -> list[RunHandle | RemoteHandle]:
        """The actor's runs that have not ended (administrators: everyone's), oldest first:
        this process's, and with a broker every queued or running run on the workers."""
        with self._lock:
            handles: list[RunHandle | RemoteHandle] = [
                h for h in self._runs.values() if not h.done and actor.owns(h.owner_id)]
        if self._redis is not None:
            for status in LIVE_STATUSES:
                for info in self.store.list_runs(actor, limit=1000, status=status):
                    if info.mode == "celery":
                        remote = self.get(actor, info.id)
                        if remote is not None and not remote.done:
                            handles.append(remote)
        return sorted(handles, key=lambda h: h.started_at)

    def stop(self, actor: Actor, run_id: str) -> None:
        """Stop a live run: its owner or an administrator."""
        handle = self.get(actor, run_id)
        if handle is None:
            raise RunError(f"run {run_id} is not going (or is not yours to stop)")
        handle.cancel()

    def transcript(self, actor: Actor, run_id: str) -> list[dict[str, Any]]:
        """The run's persisted events from the store, in order (token deltas excluded)."""
        return [{**event.data, "seq": event.seq}
                for event in self.store.run_events(actor, run_id)]

    # -- housekeeping ----------------------------------------------------------------------
    def delete(self, actor: Actor, run_id: str) -> None:
        """Delete a run that has ended: its record, transcript and work dir."""
        handle = self.get(actor, run_id)
        if handle is not None and not handle.done:
            raise RunError(f"run {run_id} is still going: cancel it before deleting it")
        work_dir = self.store.delete_run(actor, run_id)
        if work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
        if self._redis is not None:
            RunChannel(self._redis, run_id).forget()
        with self._lock:
            self._runs.pop(run_id, None)
            self._remote.pop(run_id, None)

    def forget_ended(self, older_than: float = 300.0) -> int:
        """Let go of the live handles of runs that ended more than ``older_than`` seconds ago
        (their transcripts stay in the store, where ended runs are read), so that a process
        that lives long and starts many runs (`roundtable serve`) keeps a steady memory.
        Returns how many were let go."""
        cutoff = time.time() - older_than
        with self._lock:
            local = [run_id for run_id, h in self._runs.items()
                     if h.done and (h.finished_at or 0.0) < cutoff]
            remote = list(self._remote.items())
        ended = [run_id for run_id, h in remote if h.done and (h.finished_at or 0.0) < cutoff]
        with self._lock:
            for run_id in local:
                self._runs.pop(run_id, None)
            for run_id in ended:
                self._remote.pop(run_id, None)
        return len(local) + len(ended)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel every run of this process and wait for them; True if all ended in time.
        Runs on workers go on (they belong to the workers)."""
        with self._lock:
            handles = [h for h in self._runs.values() if not h.done]
        for handle in handles:
            handle.cancel()
        ended = all(handle.wait(timeout) for handle in handles)
        if self._heartbeat is not None and ended:
            self._heartbeat.stop()
        if self._sweep is not None:
            self._sweep.stop()
        return ended


def _provider(human: HumanChoice) -> HumanInputProvider:
    if human == "mailbox":
        return Mailbox()
    if human == "never":
        return NoHuman()
    if isinstance(human, str):
        raise RunError(f"unknown human input {human!r}: use 'mailbox', 'never' or a provider")
    return human
