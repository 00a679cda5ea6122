"""Running the service: uvicorn on the chosen address, the service listed for the studio's
Deploy page while it runs, and its runs stopped when it stops."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import uvicorn

from studio.runs import SERVE_INSTANCES
from studio.store import Actor

from ._app import create_app
from ._auth import DEFAULT_RATE_LIMIT, Gate, is_loopback
from ._service import DEFAULT_ANSWER_TIMEOUT, Teams

if TYPE_CHECKING:
    from studio.runs import RunManager
    from studio.store import Store

INSTANCES = SERVE_INSTANCES  # setting: the services running now, for the Deploy page


@dataclass(frozen=True)
class ServeOptions:
    templates: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8000
    require_key: bool = False
    cors_origins: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    rate_limit: int = DEFAULT_RATE_LIMIT
    answer_timeout: float | None = DEFAULT_ANSWER_TIMEOUT  # seconds; None: wait forever
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def keys_required(self) -> bool:
        return self.require_key or not is_loopback(self.host)

    @property
    def url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def build(options: ServeOptions, store: Store, manager: RunManager) -> tuple[Any, Teams, Gate]:
    """The app, its teams and its gate (raises RunError/SpecError for a template that
    cannot be served)."""
    teams = Teams(store, manager, list(options.templates), extra_models=options.models,
                  answer_timeout=options.answer_timeout)
    gate = Gate(store, require_keys=options.keys_required, default_limit=options.rate_limit)
    runner = getattr(manager, "mode", "in-process")
    app = create_app(teams, gate, cors_origins=options.cors_origins, runner=str(runner))
    return app, teams, gate


def serve(options: ServeOptions, store: Store, manager: RunManager, *,
          out: TextIO = sys.stdout) -> None:
    """Serve until Ctrl-C (or SIGTERM); then stop this process's runs and return."""
    app, teams, _gate = build(options, store, manager)
    server = _Server(uvicorn.Config(app, host=options.host, port=options.port,
                                    log_level="warning", access_log=False,
                                    timeout_graceful_shutdown=3, server_header=False),
                     manager)
    _announce(options, teams, out)
    _register(store, options, teams)
    try:
        server.run()
    finally:
        _unregister(store, options)
        manager.shutdown(5.0)
    if not server.started:
        raise OSError(f"cannot listen on {options.host}:{options.port}")


class _Server(uvicorn.Server):
    """uvicorn's server, which also stops the runs when asked to stop (so that their event
    streams end and the connections close at once)."""

    def __init__(self, config: uvicorn.Config, manager: RunManager) -> None:
        super().__init__(config)
        self._manager = manager

    def handle_exit(self, sig: int, frame: Any) -> None:
        threading.Thread(target=self._manager.shutdown, args=(5.0,), daemon=True).start()
        super().handle_exit(sig, frame)


def _announce(options: ServeOptions, teams: Teams, out: TextIO) -> None:
    url = options.url
    keys = ("API keys required (Authorization: Bearer <key>; create them on the studio's "
            "Deploy page)" if options.keys_required
            else "no API key needed on this machine (keys are checked when sent)")
    lines = [f"Roundtable serve: {url}  ({keys}; Ctrl-C stops it)",
             f"  API description: {url}/docs  ({url}/openapi.json)"]
    for name, served in teams.served.items():
        lines.append(f"  {served.spec.name}: POST {url}/api/templates/{name}/runs  "
                     f"| OpenAI model {name!r} at {url}/v1")
    out.write("\n".join(lines) + "\n")
    out.flush()


def _instance_key(options: ServeOptions) -> str:
    return f"{socket.gethostname()}:{options.port}"


def _register(store: Store, options: ServeOptions, teams: Teams) -> None:
    try:
        instances = dict(store.get_setting(INSTANCES, {}) or {})
        instances[_instance_key(options)] = {
            "url": options.url, "host": options.host, "port": options.port,
            "pid": os.getpid(), "started_at": time.time(),
            "keys_required": options.keys_required,
            "templates": [{"name": name, "title": s.spec.name, "models": list(s.models)}
                          for name, s in teams.served.items()]}
        store.set_setting(Actor.local(), INSTANCES, instances)
    except Exception:  # noqa: BLE001 - the Deploy page's list is a courtesy
        pass


def _unregister(store: Store, options: ServeOptions) -> None:
    try:
        instances = dict(store.get_setting(INSTANCES, {}) or {})
        if instances.pop(_instance_key(options), None) is not None:
            store.set_setting(Actor.local(), INSTANCES, instances)
    except Exception:  # noqa: BLE001
        pass
