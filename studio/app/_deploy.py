"""What the Deploy page shows: the services `roundtable serve` runs now, and copy-paste
examples for calling a served template."""

from __future__ import annotations

import json
import shlex
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from studio.runs import SERVE_INSTANCES
from studio.store import Store

KEY_PLACEHOLDER = "YOUR_API_KEY"


@dataclass(frozen=True)
class Service:
    """A `roundtable serve` process, as it recorded itself in the store."""

    url: str
    templates: tuple[dict[str, Any], ...]
    keys_required: bool
    started_at: float
    pid: int

    def answering(self, timeout: float = 1.0) -> bool:
        """Whether it answers its health check now (a crashed service leaves its entry)."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=timeout) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False


def services_running(store: Store) -> list[Service]:
    entries = store.get_setting(SERVE_INSTANCES, {}) or {}
    found = []
    for entry in entries.values() if isinstance(entries, dict) else ():
        try:
            found.append(Service(url=str(entry["url"]),
                                 templates=tuple(entry.get("templates") or ()),
                                 keys_required=bool(entry.get("keys_required")),
                                 started_at=float(entry.get("started_at") or time.time()),
                                 pid=int(entry.get("pid") or 0)))
        except (KeyError, TypeError, ValueError):
            continue  # an entry a newer or older version wrote: not ours to show
    return sorted(found, key=lambda s: s.url)


def serve_command(templates: list[str], *, port: int, host: str = "127.0.0.1") -> str:
    parts = ["roundtable", "serve", *templates]
    if host != "127.0.0.1":
        parts += ["--host", host]
    if port != 8000:
        parts += ["--port", str(port)]
    return " ".join(shlex.quote(p) for p in parts)


def examples(url: str, name: str, task: str, *, key: str | None = KEY_PLACEHOLDER
             ) -> dict[str, str]:
    """``curl`` and Python examples for one served template (``key`` None: no key sent)."""
    auth = f' \\\n  -H "Authorization: Bearer {key}"' if key else ""
    body = json.dumps({"task": task}, ensure_ascii=False)
    chat = json.dumps({"model": name, "messages": [{"role": "user", "content": task}]},
                      ensure_ascii=False)
    curl = (f"# start a run, then follow its events live (Server-Sent Events)\n"
            f"curl -s {url}/api/templates/{name}/runs{auth} \\\n"
            f"  -H 'Content-Type: application/json' -d @- <<'JSON'\n{body}\nJSON\n"
            f"curl -N {url}/api/runs/RUN_ID/events{auth}\n\n"
            f"# or ask the team as an OpenAI model\n"
            f"curl -s {url}/v1/chat/completions{auth} \\\n"
            f"  -H 'Content-Type: application/json' -d @- <<'JSON'\n{chat}\nJSON")
    python = (f"from openai import OpenAI\n\n"
              f"client = OpenAI(base_url={url + '/v1'!r}, api_key={(key or 'none')!r})\n"
              f"stream = client.chat.completions.create(\n"
              f"    model={name!r},\n"
              f"    messages=[{{\"role\": \"user\", \"content\": {task!r}}}],\n"
              f"    stream=True,\n)\n"
              f"for chunk in stream:\n"
              f"    if chunk.choices and chunk.choices[0].delta.content:\n"
              f"        print(chunk.choices[0].delta.content, end=\"\", flush=True)\n"
              f"print()")
    return {"curl": curl, "python": python}


def when(stamp: float | None) -> str:
    if stamp is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
