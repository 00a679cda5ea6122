"""Runs a template in the background -- in this process, or on Celery workers over Redis --
with live events, message-by-message persistence, the human-input mailbox,
pause/resume/cancel and status.

Depends on :mod:`studio.spec`, :mod:`studio.store` and :mod:`studio.engine` only.

Who is acting
-------------
Every :class:`RunManager` call takes the acting :class:`studio.store.Actor` first
(``manager.start(actor, spec, task, ...)``, ``manager.get(actor, run_id)``,
``manager.active(actor)``, ``manager.stop(actor, run_id)``, ``manager.transcript(actor,
run_id)``, ``manager.delete(actor, run_id)``), as do :func:`template_choices`,
:func:`find_template` (keyword ``actor``) and :func:`registry_with_store`. The owner of
a run is stored on its row (``owner_id``) and on its handle, so any process can check it:
a member sees and controls only their own runs (another person's run is ``None`` /
``NotFound``), administrators all of them. ``start`` enforces the member's budget
(:class:`BudgetExceeded`, a clear sentence), and a run going stops (status ``cancelled``,
reason ``budget reached``, a note in its transcript) once the member's runs reach the
day's tokens or cost, in the studio's process or on a worker. API keys reach a model only through
:func:`api_key_for` (the same rules for a run and for the Models page's Test).

Document collections (:func:`add_files`, :func:`compute_embeddings`, :func:`search`) are
the acting person's own; a run's retrieval proxy reads the collection of that name
belonging to whoever starts the run.
"""

from typing import TYPE_CHECKING

from studio.engine._lazy import lazy_exports

if TYPE_CHECKING:  # what each name is; it is imported on first use (see _lazy)
    from ._celery import broker_url, check_broker, start_worker
    from ._documents import (
        AddReport,
        DocumentsError,
        add_files,
        collection_resolver,
        compute_embeddings,
        search,
    )
    from ._errors import BudgetExceeded, RunError
    from ._handle import FINAL_STATUSES, RunHandle
    from ._imports import ImportItem, ImportPlan, apply_import, plan_import
    from ._keys import api_key_for
    from ._lineage import LINEAGE, ForkPoint, continue_run, fork_points, fork_run
    from ._manager import RunManager
    from ._models import (
        ALLOW_UNSANDBOXED,
        DEMO_PACE,
        SERVE_INSTANCES,
        actor_registry,
        demo_pace,
        registry_with_store,
        request_limits,
    )
    from ._notes import configuration_notes, masked_url
    from ._persist import TRANSIENT_KINDS
    from ._remote import RemoteHandle
    from ._templates import TemplateChoice, find_template, template_choices
    from ._text import TextTranscript, transcript_text


__all__ = [
    "LINEAGE",
    "ForkPoint",
    "continue_run",
    "fork_points",
    "fork_run",
    "ALLOW_UNSANDBOXED",
    "AddReport",
    "DocumentsError",
    "add_files",
    "collection_resolver",
    "compute_embeddings",
    "search",
    "SERVE_INSTANCES",
    "BudgetExceeded",
    "DEMO_PACE",
    "FINAL_STATUSES",
    "ImportItem",
    "ImportPlan",
    "TRANSIENT_KINDS",
    "RemoteHandle",
    "RunError",
    "RunHandle",
    "RunManager",
    "TemplateChoice",
    "TextTranscript",
    "actor_registry",
    "api_key_for",
    "apply_import",
    "broker_url",
    "check_broker",
    "configuration_notes",
    "demo_pace",
    "find_template",
    "masked_url",
    "plan_import",
    "registry_with_store",
    "request_limits",
    "start_worker",
    "template_choices",
    "transcript_text",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
