"""Runs a template in the background -- in this process, or on Celery workers over Redis --
with live events, message-by-message persistence, the human-input mailbox,
pause/resume/cancel and status.

Depends on :mod:`studio.spec`, :mod:`studio.store` and :mod:`studio.engine` only.
"""

from ._celery import broker_url, check_broker, start_worker
from ._errors import RunError
from ._handle import FINAL_STATUSES, RunHandle
from ._imports import ImportItem, ImportPlan, apply_import, plan_import
from ._lineage import LINEAGE, ForkPoint, continue_run, fork_points, fork_run
from ._manager import RunManager
from ._models import (
    ALLOW_UNSANDBOXED,
    DEMO_PACE,
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
