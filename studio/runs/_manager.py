"""The run manager: starts teams in worker threads, fans events out, persists the transcript."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from studio.engine import (
    Cancelled,
    DemoPace,
    HumanInputProvider,
    Mailbox,
    NoHuman,
    RunControl,
    events,
)
from studio.engine.transcript import RunOutcome, describe_error, event_record, run_outcome
from studio.spec import TemplateSpec, load_template

from ._errors import BudgetExceeded, RunError
from ._handle import CANCELLED, FAILED, RunHandle, TrackedHuman
from ._models import ALLOW_UNSANDBOXED, ModelSetup, actor_registry, build, streamed_for_demo
from ._persist import is_persisted, persist

if TYPE_CHECKING:
    from studio.spec import Registry
    from studio.store import Actor, Store

BUDGET_WINDOW = 24 * 3600.0  # "per day": the last 24 hours

HumanChoice = Literal["mailbox", "never"] | HumanInputProvider


class RunManager:
    """Runs templates in the background; one per process.

    On creation, runs a previous process left ``running`` are marked ``interrupted``
    (their messages stay). Every transcript event is committed to the store from the
    run's thread the moment it is emitted; token deltas stay in memory.

    ``registry`` holds the components everyone has (the bundled ones); each run adds the
    model configs and tools of the person starting it. Every call takes the acting
    :class:`~studio.store.Actor`: a run is seen and controlled by the person who started
    it and by administrators; members' runs are held to their budgets.
    """

    def __init__(self, store: Store, registry: Registry, *, data_dir: Path,
                 demo_token_delay: float = 0.0, demo_pace: DemoPace | str = DemoPace.INSTANT,
                 ) -> None:
        self.store = store
        self.registry = registry
        self.data_dir = Path(data_dir)
        self.demo_token_delay = demo_token_delay  # seconds per word; overrides the pace
        self.demo_pace = DemoPace(demo_pace)
        self._runs: dict[str, RunHandle] = {}
        self._lock = threading.Lock()
        self.interrupted_on_start = store.mark_interrupted_runs()

    # -- starting --------------------------------------------------------------------------
    def registry_for(self, actor: Actor) -> Registry:
        """The bundled components plus the actor's own (and shared) models and tools."""
        return actor_registry(self.store, actor, self.registry)

    def check_budget(self, actor: Actor) -> None:
        """Raise :class:`BudgetExceeded` (saying which limit, and what to do) when the
        actor's budget does not allow one more run now."""
        budget = self.store.budget_for(actor)
        if budget.concurrent_runs is not None:
            going = self.store.count_runs(actor, status="running") if not actor.is_admin else 0
            if going >= budget.concurrent_runs:
                raise BudgetExceeded(
                    f"Budget reached: you have {going} run{'s' if going != 1 else ''} going and "
                    f"may run {budget.concurrent_runs} at a time. Stop one, or wait for it to "
                    "end.")
        if budget.tokens_per_day is None and budget.cost_per_day is None:
            return
        tokens, cost = self.store.usage_since(actor, time.time() - BUDGET_WINDOW)
        if budget.tokens_per_day is not None and tokens >= budget.tokens_per_day:
            raise BudgetExceeded(
                f"Budget reached: your runs used {tokens:,} tokens in the last 24 hours, and "
                f"your budget is {budget.tokens_per_day:,} a day. Ask the workshop's "
                "administrator for more, or try again later.")
        if budget.cost_per_day is not None and cost >= budget.cost_per_day:
            raise BudgetExceeded(
                f"Budget reached: your runs cost ${cost:.4f} in the last 24 hours, and your "
                f"budget is ${budget.cost_per_day:.2f} a day. Ask the workshop's "
                "administrator for more, or try again later.")

    def start(self, actor: Actor, template: dict[str, Any] | TemplateSpec, task: str, *,
              template_name: str, model: str | None = None, human: HumanChoice = "mailbox",
              timeout: float | None = None, retries: int | None = None,
              demo_pace: DemoPace | str | None = None) -> str:
        """Start a run owned by ``actor`` and return its id.

        ``model``: None runs the template's own models; "demo", "local" or a stored model
        config name makes every agent use that model. ``human``: "mailbox" (answer through
        the handle), "never" (humans are never asked) or a provider. ``timeout`` (seconds)
        and ``retries`` replace every OpenAI-compatible model's own. A template that does
        not validate raises ``SpecError``; one that cannot be built here (missing API key,
        unknown model) raises ``BuildError``/``RunError``, and nothing is recorded. A
        member over budget gets :class:`BudgetExceeded`.
        ``demo_pace`` (default: the manager's) paces the Demo model: instant or readable.
        """
        self.check_budget(actor)
        registry = self.registry_for(actor)
        spec = template if isinstance(template, TemplateSpec) else load_template(
            template, registry=registry)
        task = task.strip() or spec.default_task
        if not task:
            raise RunError("give the run a task: the template has no sample task to use")
        run_id = uuid.uuid4().hex
        work_dir = self.data_dir / "runs" / run_id
        tracked = TrackedHuman(_provider(human))
        try:
            work_dir.mkdir(parents=True, exist_ok=False)
            pace = DemoPace(demo_pace or self.demo_pace)
            setup = ModelSetup(spec, registry, self.store, actor, demo_pace=pace,
                               demo_token_delay=self.demo_token_delay or None, timeout=timeout,
                               retries=retries)
            override = setup.resolve(model) if model else None
            paced = pace == DemoPace.READABLE or self.demo_token_delay > 0
            runnable = streamed_for_demo(spec, registry, model) if paced else spec
            team = build(runnable, registry=registry, resolve_model=setup.resolve,
                         work_dir=work_dir, model_override=override,
                         human_input_override="never" if human == "never" else None,
                         allow_unsandboxed=bool(self.store.get_setting(ALLOW_UNSANDBOXED, False)))
        except BaseException:
            shutil.rmtree(work_dir, ignore_errors=True)
            raise
        label = setup.label or (model or "")
        self.store.create_run(actor, template_name, spec.to_dict(), task, label,
                              work_dir=work_dir, run_id=run_id)
        holder: list[RunHandle] = []
        control = RunControl(on_event=lambda event: self._on_event(holder[0], event),
                             human=tracked)
        handle = RunHandle(run_id, template_name=template_name, task=task, model_label=label,
                           work_dir=work_dir, control=control, human=tracked,
                           owner_id=actor.id, owner_name=actor.name)
        holder.append(handle)
        with self._lock:
            self._runs[run_id] = handle
        thread = threading.Thread(target=self._run, args=(handle, team, task, control),
                                  name=f"run-{run_id[:8]}", daemon=True)
        thread.start()
        return run_id

    # -- the run thread --------------------------------------------------------------------
    def _on_event(self, handle: RunHandle, event: events.Event | dict[str, Any]) -> None:
        data = event_record(event)  # JSON-shaped so live events equal the stored ones
        kind = data["type"]
        with handle._changed:  # one writer at a time keeps seq order == store order
            if kind == "run_started" and any(e["type"] == kind for e in handle._events[:3]):
                return  # the envelope is ours; a team's own marker would be a duplicate
            if kind == "run_finished" and not data.pop("final", False):
                return  # the team's own marker: ours follows, with the run's status
            data["seq"] = handle._next_seq()
            if is_persisted(kind):
                persist(self.store, handle.run_id, data)
            handle._publish(data)
        if kind == "error" and data.get("text"):
            handle._last_error = str(data["text"])
        if kind == "message" and data.get("usage"):
            total = handle.usage["total"]
            self.store.update_run_usage(handle.run_id, total["total_tokens"], total["cost"])

    def _run(self, handle: RunHandle, team: Any, task: str, control: RunControl) -> None:
        outcome = RunOutcome(FAILED, "error")
        try:
            self._on_event(handle, events.RunStarted(task=task))
            result = team.run(task, control)
            outcome = run_outcome(result.chats, cancelled=control.cancelled,
                                  last_error=handle._last_error)
        except Cancelled:
            outcome = RunOutcome(CANCELLED, "cancelled")
        except Exception as exc:  # anything else ends the run as failed, with what happened
            outcome = RunOutcome(FAILED, "error", error=describe_error(exc))
            self._safe_emit(handle, {"type": "error", "text": outcome.error, "agent": ""})
        usage = handle.usage
        self._safe_emit(handle, {**outcome.final_record(usage), "final": True})
        status, reason, summary, error = (outcome.status, outcome.reason, outcome.summary,
                                          outcome.error)
        self._record_finish(handle.run_id, status, reason, summary, error, usage)
        handle._finish(status, reason=reason, summary=summary, error=error)

    def _safe_emit(self, handle: RunHandle, data: dict[str, Any]) -> None:
        try:
            self._on_event(handle, data)
        except Exception:  # the store failing here must not hide the run's own outcome
            pass

    def _record_finish(self, run_id: str, status: str, reason: str, summary: str,
                       error: str | None, usage: dict[str, Any]) -> None:
        total = usage.get("total", {})
        try:
            if self.store.get_run(_system(), run_id).status != "running":
                return  # marked interrupted by a newer manager: leave that verdict
            self.store.finish_run(run_id, status, f"error: {error}" if error else reason, summary,
                                  {**usage, "total_tokens": total.get("total_tokens", 0),
                                   "cost": total.get("cost", 0.0)})
        except Exception:
            pass  # the next start marks it interrupted; the transcript is already stored

    # -- looking up ------------------------------------------------------------------------
    def get(self, actor: Actor, run_id: str) -> RunHandle | None:
        """The live run if it was started by this process and the actor may see it (its
        owner, or an administrator); None otherwise (another person's run does not exist
        for a member)."""
        with self._lock:
            handle = self._runs.get(run_id)
        return handle if handle is not None and actor.owns(handle.owner_id) else None

    def active(self, actor: Actor) -> list[RunHandle]:
        """The actor's runs of this process that have not ended (administrators: everyone's),
        oldest first."""
        with self._lock:
            handles = list(self._runs.values())
        return [h for h in handles if not h.done and actor.owns(h.owner_id)]

    def stop(self, actor: Actor, run_id: str) -> None:
        """Stop a run going in this process: its owner or an administrator."""
        handle = self.get(actor, run_id)
        if handle is None:
            raise RunError(f"run {run_id} is not going here (or is not yours to stop)")
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
        with self._lock:
            self._runs.pop(run_id, None)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel every active run and wait for them; True if all ended in time."""
        handles = self.active(_system())
        for handle in handles:
            handle.cancel()
        return all(handle.wait(timeout) for handle in handles)


def _system() -> Actor:
    """The manager's own housekeeping on runs it holds (sees every run)."""
    from studio.store import Actor

    return Actor(None, "system", "admin")


def _provider(human: HumanChoice) -> HumanInputProvider:
    if human == "mailbox":
        return Mailbox()
    if human == "never":
        return NoHuman()
    if isinstance(human, str):
        raise RunError(f"unknown human input {human!r}: use 'mailbox', 'never' or a provider")
    return human
