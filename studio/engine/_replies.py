"""The built-in reply functions, in the order an agent tries them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from . import events as ev
from ._human import CODE_APPROVAL, HumanInputRequest
from ._messages import Message
from ._safeguard import CodeVerdict
from ._tools import ToolContext
from ._types import HumanInput, StopReason
from ._usage import Usage
from .models._interface import ModelRequest

if TYPE_CHECKING:
    from ._agent import ConversableAgent, ReplyValue
    from ._context import ChatContext
    from .code import CodeResult

USER_INTERRUPTED = "USER INTERRUPTED"


def _ask(agent: ConversableAgent, sender: ConversableAgent, message: Message,
         ctx: ChatContext) -> str:
    preview = (message.content or "").strip()
    if message.tool_calls:
        calls = ", ".join(f"{c.name}({c.arguments})" for c in message.tool_calls)
        preview = f"{preview}\n[tool calls: {calls}]".strip()
    prompt = (f"{sender.name} wrote to {agent.name}:\n{preview}\n\n"
              f"Reply as {agent.name}; leave empty to let the agent auto-reply, or type exit to end.")
    return ctx.ask_human(HumanInputRequest(agent=agent.name, prompt=prompt, kind="reply"))


def check_termination_and_human(agent: ConversableAgent, messages: list[Message],
                                sender: ConversableAgent, ctx: ChatContext
                                ) -> tuple[bool, ReplyValue]:
    """Decide whether to stop, ask the human, or let the automatic replies run."""
    from ._agent import Stop

    message = messages[-1] if messages else Message(role="user", content="")
    terminating = agent.is_termination(message)
    at_limit = agent.auto_reply_count(sender) >= agent.max_consecutive_auto_reply
    reply: str | None = None  # None: no human answer asked or given
    stop_reason = StopReason.TERMINATION

    if agent.human_input == HumanInput.ALWAYS:
        reply = _ask(agent, sender, message, ctx)
        if not reply and terminating:
            return True, Stop(StopReason.TERMINATION)
    elif at_limit:
        if agent.human_input == HumanInput.NEVER:  # a termination message at the limit: it wins
            return True, Stop(StopReason.TERMINATION if terminating else StopReason.MAX_AUTO_REPLIES)
        reply = _ask(agent, sender, message, ctx)
        if not reply and terminating:
            return True, Stop(StopReason.TERMINATION)
        stop_reason = StopReason.TERMINATION if terminating else StopReason.MAX_AUTO_REPLIES
    elif terminating:
        if agent.human_input == HumanInput.NEVER:
            return True, Stop(StopReason.TERMINATION)
        reply = _ask(agent, sender, message, ctx)
        if not reply:
            return True, Stop(StopReason.TERMINATION)

    if reply is not None and reply.strip().lower() == "exit":
        agent._reset_auto_reply(sender)
        return True, Stop(StopReason.HUMAN_EXIT)
    if reply:
        agent._reset_auto_reply(sender)
        agent._executed_code[sender.name] = len(messages)  # the human answered instead of the code
        out: list[Message] = [
            Message(role="tool", content=USER_INTERRUPTED, tool_call_id=call.id, name=call.name)
            for call in message.tool_calls
        ]
        out.append(Message(role="user", content=reply, name=agent.name, meta={"human": True}))
        return True, out
    if agent.max_consecutive_auto_reply == 0:
        return True, Stop(stop_reason if terminating else StopReason.MAX_AUTO_REPLIES)
    agent._bump_auto_reply(sender)
    return False, None


def nested_chats_reply(agent: ConversableAgent, messages: list[Message],
                       sender: ConversableAgent, ctx: ChatContext) -> tuple[bool, ReplyValue]:
    from ._chat import run_nested_chats

    if not messages or any(chat.recipient is sender for chat in agent.nested_chats):
        return False, None
    summary = run_nested_chats(agent, messages, sender, ctx)
    if summary is None:
        return False, None
    return True, summary


def tool_calls_reply(agent: ConversableAgent, messages: list[Message],
                     sender: ConversableAgent, ctx: ChatContext) -> tuple[bool, ReplyValue]:
    """Execute the tool calls of the last message; every call gets a tool message."""
    if not messages or not messages[-1].tool_calls:
        return False, None
    results: list[Message] = []
    for call in messages[-1].tool_calls:
        ctx.checkpoint()
        ctx.emit(ev.ToolCallStarted, agent=agent.name, call_id=call.id, name=call.name,
                 arguments=call.arguments)
        tool = agent.tools_for_execution.get(call.name)
        replayer = ctx.control.replayer
        recorded = (replayer.expect("tool_result", agent=agent.name, call_id=call.id)
                    if replayer is not None else None)
        if recorded is not None:
            content, is_error = str(recorded.get("content", "")), bool(recorded.get("is_error"))
        elif tool is None:
            content, is_error = f"Error: Function {call.name} not found.", True
        else:
            context = ToolContext(agent=agent.name, call_id=call.id, messages=tuple(messages))
            content, is_error = tool.invoke(call.arguments, context)
        ctx.emit(ev.ToolResult, agent=agent.name, call_id=call.id, name=call.name,
                 content=content, is_error=is_error)
        results.append(Message(role="tool", content=content, tool_call_id=call.id, name=call.name,
                               meta={"is_error": is_error} if is_error else {}))
    return True, results


def code_execution_reply(agent: ConversableAgent, messages: list[Message],
                         sender: ConversableAgent, ctx: ChatContext) -> tuple[bool, ReplyValue]:
    """Run the code blocks of the newest message not yet scanned (code never runs twice)."""
    from .code import CodeExecutionError, CodeResult, extract_code_blocks, format_code_result

    assert agent.code_executor is not None
    scanned = agent._executed_code.get(sender.name, 0)
    agent._executed_code[sender.name] = len(messages)
    for index in range(len(messages) - 1, scanned - 1, -1):
        message = messages[index]
        if message.role != "user" or message.meta.get("kind") in _OWN_KINDS:
            continue
        blocks = extract_code_blocks(message.content or "")
        if not blocks:
            continue
        if agent.code_gate is not None:
            verdict = agent.code_gate(blocks, messages)
            if not verdict.cleared:
                if not verdict.final:  # not decided yet: look at this code again next time
                    agent._executed_code[sender.name] = index
                return True, _not_run(agent, message, verdict)
        if agent.approve_code:
            decision = _approve(agent, sender, blocks, ctx)
            if isinstance(decision, str):
                return True, Message(role="user", content=decision, name=agent.name,
                                     meta={"kind": "code_refused", "human": True})
            blocks = decision
        ctx.checkpoint()
        started = time.monotonic()
        languages = tuple(b.language for b in blocks)
        recorded = _recorded_code_result(agent, languages, ctx)
        if recorded is not None:
            result = recorded
        else:
            try:
                result = agent.code_executor.execute(blocks, cancel=ctx.control.cancel_token)
            except CodeExecutionError as exc:  # no sandbox, no engine...: a failed execution
                ctx.emit(ev.Warning, text=f"{agent.name}: the code could not run: {exc}")
                result = CodeResult(exit_code=1, output=f"The code could not run: {exc}\n",
                                    sandbox="none")
        warning = getattr(agent.code_executor, "sandbox_warning", None)
        if recorded is None and warning and not getattr(agent.code_executor, "_warning_shown", False):
            agent.code_executor._warning_shown = True  # type: ignore[attr-defined]
            ctx.emit(ev.Warning, text=f"{agent.name}: {warning}")
        files = tuple({"name": f.name, "size": f.size} for f in result.files)
        ctx.emit(ev.CodeExecuted, agent=agent.name, languages=languages,
                 exit_code=result.exit_code, output=result.output, sandbox=result.sandbox,
                 files=files, duration=result.duration or time.monotonic() - started)
        return True, Message(
            role="user", content=format_code_result(result), name=agent.name,
            meta={"kind": "code_result", "exit_code": result.exit_code, "sandbox": result.sandbox,
                  "files": list(files)},
        )
    return False, None


# the executing agent's own replies about code: never code to run
_OWN_KINDS = ("code_result", "code_refused", "code_not_run")


def _not_run(agent: ConversableAgent, message: Message, verdict: CodeVerdict) -> Message:
    author = message.name or "the author"
    if verdict.final:
        text = (f"The code from {author} was not run: {verdict.reason}. Only code that has been "
                f"cleared is executed; {author}, send a corrected version.")
    else:
        text = f"The code from {author} is not run yet: {verdict.reason}."
    return Message(role="user", content=text, name=agent.name,
                   meta={"kind": "code_not_run", "final": verdict.final})


def _recorded_code_result(agent: ConversableAgent, languages: tuple[str, ...],
                          ctx: ChatContext) -> CodeResult | None:
    """Say code is starting; while replaying, the recorded result instead of running it.

    A recording that ends once the code had started (a resumed run) stops the run with
    :class:`ResumeUnsafe`: running the code again might repeat what it did.
    """
    from ._replay import ResumeUnsafe
    from .code import CodeResult, FileInfo

    before = ctx.control.replayer
    ctx.emit(ev.CodeExecutionStarted, agent=agent.name, languages=languages)
    if before is None:
        return None  # live: the code runs now
    replayer = ctx.control.replayer
    if before.strict and (replayer is None or replayer.ahead("code_executed") is None):
        raise ResumeUnsafe(
            f"{agent.name} was running code when the run stopped; it is not run a second "
            "time, since that could repeat what the code did")
    warned = replayer is not None and (replayer.peek() or {}).get("type") == "warning"
    recorded = ctx.recorded("code_executed")
    if recorded is None:
        return None  # a recording cut on purpose just before: the code runs now
    if warned:  # the sandbox warning was shown already
        agent.code_executor._warning_shown = True  # type: ignore[union-attr]
    files = tuple(FileInfo(name=str(f.get("name", "")), size=int(f.get("size", 0) or 0))
                  for f in recorded.get("files") or ())
    return CodeResult(exit_code=int(recorded.get("exit_code", 0) or 0),
                      output=str(recorded.get("output", "")), files=files,
                      sandbox=str(recorded.get("sandbox", "")),
                      duration=float(recorded.get("duration", 0.0) or 0.0))


def _approve(agent: ConversableAgent, sender: ConversableAgent, blocks: list,
             ctx: ChatContext) -> list | str:
    """Ask the human before running code: the blocks to run (as sent, or edited), or the
    refusal the agents read."""
    from .code import CodeBlock, extract_code_blocks

    listing = "\n\n".join(f"```{b.language}\n{b.code}\n```" for b in blocks)
    decision = ctx.ask_code_decision(HumanInputRequest(
        agent=agent.name, kind=CODE_APPROVAL, options=("approve", "edit", "refuse"),
        prompt=f"{sender.name} wants {agent.name} to run this code:\n{listing}",
        blocks=tuple(blocks),
    ))
    if decision.action == "approve":
        return blocks
    if decision.action == "edit":
        new_blocks = extract_code_blocks(decision.code)
        return new_blocks or [CodeBlock(code=decision.code.strip("\n"), language=blocks[0].language)]
    reason = f" Reason: {decision.reason}" if decision.reason else ""
    return f"The user refused to run the code.{reason}"


def model_reply(agent: ConversableAgent, messages: list[Message], sender: ConversableAgent,
                ctx: ChatContext) -> tuple[bool, ReplyValue]:
    assert agent.model is not None
    request = ModelRequest(
        messages=_with_system(agent, messages),
        tools=tuple(t.schema for t in agent.tools_for_llm.values()),
        agent=agent.name,
        settings=agent.model_settings,
    )
    replayer = ctx.control.replayer
    if replayer is not None:
        return True, _recorded_reply(agent, sender, request, ctx)
    on_token = None
    if agent.stream:
        def on_token(delta: str) -> None:
            ctx.emit(ev.TokenDelta, agent=agent.name, delta=delta)
    response = ctx.call_model(agent.name, agent.model, request, on_token)
    ctx.add_usage(agent.name, response.usage)
    if response.content is None and not response.tool_calls:
        return True, Message(role="assistant", content="", name=agent.name,
                             meta={"usage": response.usage.to_dict()})
    return True, Message(role="assistant", content=response.content, name=agent.name,
                         tool_calls=response.tool_calls, meta={"usage": response.usage.to_dict()})


def _recorded_reply(agent: ConversableAgent, sender: ConversableAgent, request: ModelRequest,
                    ctx: ChatContext) -> Message:
    """The reply the recording holds; a model that keeps state is told about it."""
    from ._replay import recorded_message, recorded_usage
    from .models._interface import ModelResponse

    replayer = ctx.control.replayer
    assert replayer is not None
    recorded = replayer.expect("message", sender=agent.name, recipient=sender.name)
    assert recorded is not None
    message = recorded_message(recorded)
    usage = recorded_usage(message.meta.get("usage"))
    if usage is not None:
        ctx.add_usage(agent.name, usage)
    hook = getattr(agent.model, "replay", None)
    if callable(hook):
        hook(request, ModelResponse(content=message.content, tool_calls=message.tool_calls,
                                    usage=usage or Usage()))
    return message


def _with_system(agent: ConversableAgent, messages: list[Message]) -> tuple[Message, ...]:
    if not agent.system_message:
        return tuple(messages)
    cached = agent._system_cache
    if cached is None or cached.content != agent.system_message:
        # one Message object per system text, so model clients can cache its wire form
        cached = agent._system_cache = Message(role="system", content=agent.system_message)
    return (cached, *messages)


def default_reply(agent: ConversableAgent, messages: list[Message], sender: ConversableAgent,
                  ctx: ChatContext) -> tuple[bool, ReplyValue]:
    # marked, so that a person's stand-in answering on its own is never shown as their words
    return True, Message(role="assistant", content=agent.default_auto_reply, name=agent.name,
                         meta={"auto_reply": True})
