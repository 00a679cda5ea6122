"""Runs a template in the background: live events, message-by-message persistence,
the human-input mailbox, pause/resume/cancel and status.

Depends on :mod:`studio.spec`, :mod:`studio.store` and :mod:`studio.engine` only.
"""

from ._errors import RunError
from ._handle import FINAL_STATUSES, RunHandle
from ._imports import ImportItem, ImportPlan, apply_import, plan_import
from ._manager import RunManager
from ._models import (
    ALLOW_UNSANDBOXED,
    DEMO_PACE,
    demo_pace,
    registry_with_store,
    request_limits,
)
from ._persist import TRANSIENT_KINDS
from ._templates import TemplateChoice, find_template, template_choices
from ._text import TextTranscript, transcript_text

__all__ = [
    "ALLOW_UNSANDBOXED",
    "DEMO_PACE",
    "FINAL_STATUSES",
    "ImportItem",
    "ImportPlan",
    "TRANSIENT_KINDS",
    "RunError",
    "RunHandle",
    "RunManager",
    "TemplateChoice",
    "TextTranscript",
    "apply_import",
    "demo_pace",
    "find_template",
    "plan_import",
    "registry_with_store",
    "request_limits",
    "template_choices",
    "transcript_text",
]
