"""The Roundtable agent engine: conversable agents and conversation patterns.

Stands alone: it imports nothing else from ``studio``.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:  # what each name is; it is imported on first use (see _lazy)
    from . import events
    from ._agent import AssistantAgent, ConversableAgent, ReplyOutcome, Stop, UserProxyAgent
    from ._answers import AnswerKey
    from ._chat import ChatSpec, NestedChat, initiate_chats
    from ._context import ChatContext
    from ._control import Cancelled, CancelToken, RunControl
    from ._groupchat import GroupChat, GroupChatManager
    from ._human import (
        CodeDecision,
        ConsoleHuman,
        HumanAnswer,
        HumanInputProvider,
        HumanInputRequest,
        Mailbox,
        NoHuman,
        ScriptedHuman,
        check_answer,
        read_code_decision,
    )
    from ._messages import Message, ToolCall
    from ._replay import Recording, ReplayError, ReplayMismatch, ResumeUnsafe
    from ._retrieve import RetrieveUserProxyAgent
    from ._safeguard import ClearedBy, CodeGate, CodeVerdict
    from ._tools import Tool, ToolContext, ToolDefinitionError, tool
    from ._types import ChatResult, ConfigError, HumanInput, StopReason, Termination
    from ._usage import PRICES, Usage, UsageTracker, cost_of, price_for
    from .code import (
        CodeBlock,
        CodeExecutionError,
        CodeExecutor,
        CodeResult,
        DockerExecutor,
        FileInfo,
        Limits,
        LocalExecutor,
        NoExecutor,
        extract_code_blocks,
        format_code_result,
    )
    from .models import (
        DemoModel,
        DemoPace,
        DemoScript,
        DemoScriptError,
        DemoTurn,
        FunctionModel,
        LocalModel,
        ModelClient,
        ModelError,
        ModelRequest,
        ModelResponse,
        OpenAIChatModel,
        ScriptedModel,
        local_model_available,
    )


__all__ = [
    "PRICES",
    "price_for",
    "AnswerKey",
    "AssistantAgent",
    "Cancelled",
    "CancelToken",
    "ChatContext",
    "check_answer",
    "ChatResult",
    "ChatSpec",
    "ClearedBy",
    "CodeBlock",
    "CodeDecision",
    "CodeExecutionError",
    "CodeExecutor",
    "CodeGate",
    "CodeVerdict",
    "CodeResult",
    "ConfigError",
    "ConsoleHuman",
    "ConversableAgent",
    "cost_of",
    "DemoModel",
    "DemoPace",
    "DemoScript",
    "DemoScriptError",
    "DemoTurn",
    "DockerExecutor",
    "events",
    "extract_code_blocks",
    "FileInfo",
    "format_code_result",
    "FunctionModel",
    "GroupChat",
    "GroupChatManager",
    "HumanAnswer",
    "HumanInput",
    "HumanInputProvider",
    "HumanInputRequest",
    "initiate_chats",
    "Limits",
    "local_model_available",
    "LocalExecutor",
    "LocalModel",
    "Mailbox",
    "Message",
    "ModelClient",
    "ModelError",
    "ModelRequest",
    "ModelResponse",
    "NestedChat",
    "NoExecutor",
    "NoHuman",
    "OpenAIChatModel",
    "ReplyOutcome",
    "RetrieveUserProxyAgent",
    "read_code_decision",
    "Recording",
    "ReplayError",
    "ReplayMismatch",
    "ResumeUnsafe",
    "RunControl",
    "ScriptedHuman",
    "ScriptedModel",
    "Stop",
    "StopReason",
    "Termination",
    "tool",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolDefinitionError",
    "Usage",
    "UsageTracker",
    "UserProxyAgent",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
