"""The run manager: starts runs (a thread here, or a Celery worker) and finds them again."""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from studio.engine import DemoPace, HumanInputProvider, Mailbox, NoHuman, Recording, RunControl
from studio.spec import TemplateSpec, load_template
from studio.store import LIVE_STATUSES, NotFound

from ._channel import RunChannel
from ._errors import RunError
from ._execution import Execution
from ._handle import FINAL_STATUSES, QUEUED, RunHandle, TrackedHuman
from ._lease import Heartbeat
from ._models import make_team
from ._remote import RemoteHandle

if TYPE_CHECKING:
    from studio.spec import Registry
    from studio.store import Store

    from ._celery import CeleryDispatch

HumanChoice = Literal["mailbox", "never"] | HumanInputProvider


class RunManager:
    """Starts runs and finds them again; one per process. The pages use only this.

    Without ``broker`` a run is a thread of this process (the embedded runner). With a
    ``broker`` (a Redis URL; see ``roundtable worker``) runs are handed to Celery workers, and
    :meth:`get` finds any live run, whichever studio process started it.

    Every transcript event is committed to the store the moment it is emitted; token
    deltas stay live only. This process's runs are held under its lease (a heartbeat in the
    store): other processes mark them ``interrupted`` only once that lease has expired.
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
        if self.broker:
            from ._celery import CeleryDispatch, check_broker
            from ._channel import redis_client

            check_broker(self.broker)
            self._dispatch = CeleryDispatch(self.broker)
            self._redis = redis_client(self.broker)
        else:
            self._heartbeat = Heartbeat(store, "studio", on_beat=store.mark_interrupted_runs)
        self.interrupted_on_start = store.mark_interrupted_runs()

    @property
    def mode(self) -> str:
        """``in-process`` or ``celery``."""
        return "celery" if self._dispatch is not None else "in-process"

    # -- starting --------------------------------------------------------------------------
    def start(self, template: dict[str, Any] | TemplateSpec, task: str, *, template_name: str,
              model: str | None = None, human: HumanChoice = "mailbox",
              timeout: float | None = None, retries: int | None = None,
              demo_pace: DemoPace | str | None = None, replay: Recording | None = None,
              followup: str | None = None, lineage: dict[str, Any] | None = None) -> str:
        """Start a run and return its id.

        ``model``: None runs the template's own models; "demo", "local" or a stored model
        config name makes every agent use that model. ``human``: "mailbox" (answer through
        the handle), "never" (humans are never asked) or a provider (in-process only).
        ``timeout`` (seconds) and ``retries`` replace every OpenAI-compatible model's own.
        A template that does not validate raises ``SpecError``; one that cannot be built
        here (missing API key, unknown model) raises ``BuildError``/``RunError``, and
        nothing is recorded. ``demo_pace`` (default: the manager's) paces the Demo model:
        instant or readable. ``replay``: a recording of an earlier run of the same team,
        copied into this one and rebuilt from (see :mod:`studio.runs._lineage`);
        ``followup`` then continues the conversation with that message; ``lineage`` is
        shown at the top of the transcript (in-process runs only, for now).
        """
        spec = template if isinstance(template, TemplateSpec) else load_template(
            template, registry=self.registry)
        task = task.strip() or spec.default_task
        if not task:
            raise RunError("give the run a task: the template has no sample task to use")
        options = {"model": model, "human": human if isinstance(human, str) else "provider",
                   "timeout": timeout, "retries": retries,
                   "demo_pace": str(DemoPace(demo_pace or self.demo_pace).value),
                   "demo_token_delay": self.demo_token_delay}
        if self._dispatch is not None:
            if replay is not None or followup is not None:
                raise RunError("continuing or forking a run needs the studio's own runner: "
                               "start the studio without a broker to do it")
            return self._enqueue(spec, task, template_name=template_name, options=options,
                                 human=human)
        run_id = uuid.uuid4().hex
        work_dir = self.data_dir / "runs" / run_id
        tracked = TrackedHuman(_provider(human))
        try:
            work_dir.mkdir(parents=True, exist_ok=False)
            team, label = make_team(spec, store=self.store, registry=self.registry,
                                    work_dir=work_dir, options=options)
        except BaseException:
            shutil.rmtree(work_dir, ignore_errors=True)
            raise
        assert self._heartbeat is not None
        self.store.create_run(template_name, spec.to_dict(), task, label, work_dir=work_dir,
                              run_id=run_id, holder=self._heartbeat.lease_id)
        control = RunControl(human=tracked, replay=replay, echo_replayed=replay is not None)
        handle = RunHandle(run_id, template_name=template_name, task=task, model_label=label,
                           work_dir=work_dir, control=control, human=tracked)
        execution = Execution(self.store, handle, holder=self._heartbeat.lease_id)
        control._on_event = execution.on_event
        with self._lock:
            self._runs[run_id] = handle
        thread = threading.Thread(target=execution.run, args=(team, task, control),
                                  kwargs={"followup": followup, "lineage": lineage},
                                  name=f"run-{run_id[:8]}", daemon=True)
        thread.start()
        return run_id

    def _enqueue(self, spec: TemplateSpec, task: str, *, template_name: str,
                 options: dict[str, Any], human: HumanChoice) -> str:
        """Check the team builds, record the run as queued and hand it to the workers."""
        if not isinstance(human, str) or human not in ("mailbox", "never"):
            raise RunError("a run on a worker is answered through the studio: "
                           "use human='mailbox' or 'never'")
        assert self._dispatch is not None
        with tempfile.TemporaryDirectory(prefix="roundtable-check-") as scratch:
            _team, label = make_team(spec, store=self.store, registry=self.registry,
                                     work_dir=Path(scratch), options=options)
        run_id = uuid.uuid4().hex
        self.store.create_run(template_name, spec.to_dict(), task, label, run_id=run_id,
                              mode="celery", options=options)
        RunChannel(self._redis, run_id).set_state(status=QUEUED)
        self._dispatch.enqueue(run_id)
        return run_id

    # -- looking up ------------------------------------------------------------------------
    def get(self, run_id: str) -> RunHandle | RemoteHandle | None:
        """The live handle of a run: one started by this process, or (with a broker) any
        run that is queued or going on a worker. None for a run that has ended elsewhere
        (read its transcript from the store) or an unknown id."""
        with self._lock:
            local = self._runs.get(run_id)
            remote = self._remote.get(run_id)
        if local is not None or self._redis is None:
            return local
        if remote is not None:
            return remote
        channel = RunChannel(self._redis, run_id)
        state = channel.state()
        if not state or state.get("status") in FINAL_STATUSES:
            return None
        try:
            info = self.store.get_run(run_id)
        except NotFound:
            return None
        handle = RemoteHandle(channel, info, self.store)
        with self._lock:
            self._remote[run_id] = handle
        return handle

    def active(self) -> list[RunHandle | RemoteHandle]:
        """Runs that have not ended, oldest first: this process's, and with a broker every
        queued or running run on the workers."""
        with self._lock:
            handles: list[RunHandle | RemoteHandle] = [
                h for h in self._runs.values() if not h.done]
        if self._redis is not None:
            for status in LIVE_STATUSES:
                for info in self.store.list_runs(limit=1000, status=status):
                    if info.mode == "celery":
                        remote = self.get(info.id)
                        if remote is not None and not remote.done:
                            handles.append(remote)
        return sorted(handles, key=lambda h: h.started_at)

    def transcript(self, run_id: str) -> list[dict[str, Any]]:
        """The run's persisted events from the store, in order (token deltas excluded)."""
        return [{**event.data, "seq": event.seq} for event in self.store.run_events(run_id)]

    # -- housekeeping ----------------------------------------------------------------------
    def delete(self, run_id: str) -> None:
        """Delete a run that has ended: its record, transcript and work dir."""
        handle = self.get(run_id)
        if handle is not None and not handle.done:
            raise RunError(f"run {run_id} is still going: cancel it before deleting it")
        work_dir = self.store.delete_run(run_id)
        if work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
        if self._redis is not None:
            RunChannel(self._redis, run_id).forget()
        with self._lock:
            self._runs.pop(run_id, None)
            self._remote.pop(run_id, None)

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
        return ended


def _provider(human: HumanChoice) -> HumanInputProvider:
    if human == "mailbox":
        return Mailbox()
    if human == "never":
        return NoHuman()
    if isinstance(human, str):
        raise RunError(f"unknown human input {human!r}: use 'mailbox', 'never' or a provider")
    return human
