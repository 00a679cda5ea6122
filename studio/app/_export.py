"""A run as Markdown or JSON, from the store's export (secrets are never part of it)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ._transcript import normalise


def _when(stamp: float | None) -> str:
    if not stamp:
        return "—"
    return dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def run_json(export: dict[str, Any]) -> str:
    return json.dumps(export, indent=2, ensure_ascii=False, default=str)


def run_markdown(export: dict[str, Any]) -> str:
    """A readable transcript: header, then each message, tool call and code run in order."""
    run = export["run"]
    lines = [f"# {run['template_name']}", "",
             f"- **Task:** {run['task']}",
             f"- **Status:** {run['status']}" + (f" ({run['reason']})" if run.get("reason") else ""),
             f"- **Model:** {run.get('model_label') or 'as in the template'}",
             f"- **Started:** {_when(run.get('started_at'))} · **Finished:** {_when(run.get('finished_at'))}",
             f"- **Tokens:** {run.get('total_tokens', 0)} · **Cost:** ${float(run.get('cost') or 0):.4f}",
             "", "## Transcript", ""]
    for raw in export.get("events", []):
        event = normalise(raw)
        lines.extend(_event_lines(event))
    if run.get("summary"):
        lines += ["## Summary", "", run["summary"], ""]
    return "\n".join(lines).rstrip() + "\n"


def _event_lines(event: dict[str, Any]) -> list[str]:
    kind = event.get("type")
    indent = "> " * int(event.get("depth", 0) or 0)
    out: list[str] = []
    if kind == "message":
        message = event.get("message") or {}
        if message.get("role") == "tool":
            return []
        out.append(f"### {event.get('sender', '')} → {event.get('recipient', '')}")
        out += ["", message.get("content") or ""]
        for call in message.get("tool_calls") or ():
            out.append(f"\n*calls tool* `{call.get('name')}({call.get('arguments', '')})`")
    elif kind == "tool_result":
        out += [f"*tool `{event.get('name')}` returned:*", "", "```", event.get("content", ""), "```"]
    elif kind == "code_executed":
        files = ", ".join(f"{f.get('name')} ({f.get('size')} B)" for f in event.get("files") or ())
        out += [f"*code ran in {event.get('sandbox') or 'unknown sandbox'}, exit code "
                f"{event.get('exit_code')}*" + (f"; files: {files}" if files else ""),
                "", "```", event.get("output", ""), "```"]
    elif kind == "human_input_received":
        out.append(f"*human input for {event.get('agent')}:* {event.get('text') or '(empty)'}")
    elif kind in ("error", "warning"):
        out.append(f"**{kind}:** {event.get('text', '')}")
    elif kind == "run_finished":
        out.append(f"**Run finished:** {event.get('reason', '')}")
    else:
        return []
    lines = [indent + line if indent else line for line in "\n".join(out).split("\n")]
    return [*lines, ""]
