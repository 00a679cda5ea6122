"""The Roundtable agent engine: conversable agents and conversation patterns.

Stands alone: it imports nothing else from ``studio``.
"""

from . import events
from ._control import Cancelled, CancelToken, RunControl
from ._human import ConsoleHuman, HumanInputProvider, HumanInputRequest, Mailbox, NoHuman, ScriptedHuman
from ._messages import Message, ToolCall
from ._usage import PRICES, Usage, UsageTracker, cost_of
from .code import CodeBlock, CodeExecutionError, CodeExecutor, CodeResult, FileInfo
from .models import FunctionModel, ModelClient, ModelError, ModelRequest, ModelResponse, ScriptedModel

__all__ = [
    "PRICES",
    "CancelToken",
    "Cancelled",
    "CodeBlock",
    "CodeExecutionError",
    "CodeExecutor",
    "CodeResult",
    "ConsoleHuman",
    "FileInfo",
    "FunctionModel",
    "HumanInputProvider",
    "HumanInputRequest",
    "Mailbox",
    "Message",
    "ModelClient",
    "ModelError",
    "ModelRequest",
    "ModelResponse",
    "NoHuman",
    "RunControl",
    "ScriptedHuman",
    "ScriptedModel",
    "ToolCall",
    "Usage",
    "UsageTracker",
    "cost_of",
    "events",
]
