"""The served templates and the runs callers start with them, over the ``runs`` API.

Everything the HTTP layer does to runs goes through :class:`Teams`: which templates are
served and under which names, which models a caller may choose, starting a run as the
caller, and finding a run again only for a caller who may see it.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.runs import BudgetExceeded, RunError, find_template
from studio.spec import TemplateSpec
from studio.store import Actor, NotFound

from ._auth import Caller
from ._errors import ApiError

if TYPE_CHECKING:
    from studio.runs import RunManager
    from studio.store import RunInfo, Store

TEMPLATE_MODEL = "template"  # the model choice "the template's own models"
KEEP_ENDED = 300.0  # seconds an ended run's live handle (token deltas too) stays in memory
_TIDY_EVERY = 30.0  # seconds between two looks for such handles
FINAL = ("finished", "failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class Served:
    """One template this service runs: ``name`` is what callers type (URLs, OpenAI
    ``model``), ``template_name`` what History shows."""

    name: str
    template_name: str
    spec: TemplateSpec
    models: tuple[str, ...]


def url_name(ref: str, spec: TemplateSpec) -> str:
    """The name a template is served under: the bundled file name or stored name as typed;
    a file's template by its own name, in lower case with dashes."""
    if ref.lower().endswith((".yaml", ".yml", ".json")) or "/" in ref:
        return re.sub(r"[^a-z0-9]+", "-", spec.name.lower()).strip("-") or "template"
    return ref


def _folded(name: str) -> str:
    return " ".join(re.sub(r"[-_\s]+", " ", name).casefold().split())


DEFAULT_ANSWER_TIMEOUT = 30 * 60.0  # a caller who went away does not hold a run forever


class Teams:
    """The templates served and the runs started with them (one per service process)."""

    def __init__(self, store: Store, manager: RunManager, templates: list[str], *,
                 extra_models: tuple[str, ...] = (),
                 answer_timeout: float | None = DEFAULT_ANSWER_TIMEOUT) -> None:
        self.store = store
        self.manager = manager
        self.answer_timeout = answer_timeout  # seconds a question waits before the run stops
        self.served: dict[str, Served] = {}
        self._tidied_at = time.monotonic()
        registry = manager.registry_for(Actor.local())
        for model in extra_models:
            if model not in registry.models:
                raise RunError(f"--model {model}: no such model; name demo, local or a model "
                               "saved on the Models page")
        choices = (TEMPLATE_MODEL, "demo", *[m for m in extra_models if m != "demo"])
        for ref in templates:
            template_name, spec = find_template(ref, store=store, actor=Actor.local(),
                                                registry=registry)
            name = url_name(ref, spec)
            if name in self.served:
                raise RunError(f"template {ref!r} is served twice (as {name!r})")
            self.served[name] = Served(name, template_name, spec, tuple(dict.fromkeys(choices)))

    # -- templates -------------------------------------------------------------------------
    def template(self, name: str) -> Served:
        """The served template called ``name`` (or its display name, any case); 404 naming
        the served ones otherwise."""
        found = self.served.get(name)
        if found is not None:
            return found
        wanted = _folded(name)
        for served in self.served.values():
            if wanted in (_folded(served.name), _folded(served.spec.name)):
                return served
        close = difflib.get_close_matches(name, list(self.served), n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ApiError(404, f"template {name!r} is not served here.{hint} Served: "
                            f"{', '.join(self.served)}.", "template_not_found")

    # -- runs ------------------------------------------------------------------------------
    def start(self, caller: Caller, served: Served, task: str, *, model: str | None = None,
              human: str = "api") -> str:
        """Start a run of ``served`` owned by the caller's owner; its id."""
        choice = model or TEMPLATE_MODEL
        if choice not in served.models:
            raise ApiError(400, f"model {choice!r} is not offered for {served.name!r}; choose "
                                f"one of: {', '.join(served.models)}", "model_not_allowed")
        task = task.strip() or served.spec.default_task
        if not task:
            raise ApiError(400, f"give the run a task: {served.name!r} has no sample task",
                           "task_required")
        self._tidy()
        try:
            return self.manager.start(
                caller.actor, served.spec, task, template_name=served.template_name,
                model=None if choice == TEMPLATE_MODEL else choice,
                human="mailbox" if human == "api" else "never", source="api",
                api_key_id=caller.key_id,
                answer_timeout=self.answer_timeout if human == "api" else None)
        except BudgetExceeded as exc:
            raise ApiError(429, str(exc), "budget_exceeded") from exc
        except RunError as exc:
            raise ApiError(400, str(exc), "run_not_started") from exc
        except Exception as exc:  # a team that cannot be built here: missing key, model...
            raise ApiError(500, f"the team could not be started here: {_one_line(exc)} (the "
                                "service's administrator can fix this)",
                           "team_not_built") from exc

    def _tidy(self) -> None:
        """Let go of ended runs' live handles now and then: a service starts many runs."""
        now = time.monotonic()
        if now - self._tidied_at >= _TIDY_EVERY:
            self._tidied_at = now
            self.manager.forget_ended(KEEP_ENDED)

    def handle(self, caller: Caller, run_id: str) -> Any | None:
        """The run's live handle (this process's, or a worker's), if it is still going and the
        caller may see it; None otherwise."""
        self.info(caller, run_id)  # 404 for a run the caller may not see
        return self.manager.get(caller.actor, run_id)

    def info(self, caller: Caller, run_id: str) -> RunInfo:
        try:
            return self.store.get_run(caller.actor, run_id)
        except NotFound:
            raise ApiError(404, f"no run {run_id!r} here (it may have been deleted)",
                           "run_not_found") from None

    def live(self, caller: Caller, run_id: str, action: str) -> Any:
        """The handle of a run that is going, for a control; 409 once it has ended."""
        handle = self.handle(caller, run_id)
        if handle is None or handle.done:
            status = handle.status if handle is not None else self.info(caller, run_id).status
            raise ApiError(409, f"cannot {action}: run {run_id} has already {status}",
                           "run_ended")
        return handle

    def events_after(self, caller: Caller, run_id: str, seq: int) -> list[dict[str, Any]]:
        """The run's stored events after ``seq`` (token deltas are never stored)."""
        try:
            stored = self.store.run_events(caller.actor, run_id, after_seq=seq)
        except NotFound:
            raise ApiError(404, f"no run {run_id!r} here (it may have been deleted)",
                           "run_not_found") from None
        return [{**e.data, "seq": e.seq} for e in stored]

    def list_runs(self, caller: Caller, limit: int) -> list[RunInfo]:
        """The API runs the caller may see, newest first."""
        return self.store.list_runs(caller.actor, limit=limit, source="api")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
