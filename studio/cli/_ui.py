"""``roundtable ui``: check the address and the store, settle the mode (personal or shared,
single sign-on), then hand the process to the Streamlit server."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import (
    EXIT_USAGE,
    CliError,
    _broker,
    _data_dir,
    _db_url,
    _local,
    _masked,
    _open_store,
    _print_configuration_notes,
)

if TYPE_CHECKING:
    from studio.store import Store


def cmd_ui(args: argparse.Namespace) -> int:
    import studio

    app = Path(studio.__file__).resolve().parent / "app" / "server.py"  # serves main.py
    if not app.is_file():
        raise CliError(f"the studio web app is missing ({app}); reinstall roundtable-studio")
    _check_port_free(args.host, args.port)
    data_dir = _data_dir(args)
    store = _open_store(args)  # fail here, in one line, on a bad data dir or database URL
    shared = args.shared or not _is_loopback(args.host)
    if shared:
        _bootstrap_admin(store)
        if not store.has_admin():
            how = "" if args.shared else (f" (--host {args.host} lets other machines in, so "
                                          "the studio is shared)")
            raise CliError(
                f"shared mode needs an administrator first{how}: run `roundtable admin create "
                "NAME` with the same --data-dir/--db-url, then start again (or set "
                f"{ADMIN_NAME_ENV} and {ADMIN_PASSWORD_ENV})")
    broker = _broker(args, required=False)
    interrupted = store.mark_interrupted_runs()  # runs of a server that died are not "running"
    if interrupted:
        print(f"{interrupted} run(s) left running by a stopped server are marked interrupted.")
    _print_configuration_notes(store, broker)
    env = dict(os.environ, ROUNDTABLE_DATA_DIR=str(data_dir))
    env.pop(ADMIN_PASSWORD_ENV, None)  # used above; the server does not need it
    if shared:
        env["ROUNDTABLE_MODE"] = "shared"
    else:
        env.pop("ROUNDTABLE_MODE", None)
    if _db_url(args):
        env["ROUNDTABLE_DB_URL"] = str(_db_url(args))
    secrets_args = _sso_secrets(args, data_dir, shared)
    if broker:
        env["ROUNDTABLE_BROKER_URL"] = broker
    package_root = str(app.parents[2])  # so the app finds `studio` from a checkout too
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.headless", "true", "--server.address", args.host,
               "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal",
               *secrets_args]
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    mode = "shared: people sign in" if shared else "personal: this machine only"
    runs = f"runs on the workers of {_masked(broker)}" if broker else "runs in this process"
    print(f"Roundtable Studio: http://{host}:{args.port}  ({mode}; data: {data_dir}; {runs}; "
          "Ctrl-C stops it)", flush=True)
    os.execve(sys.executable, command, env)  # the server takes this process's place
    return 0  # pragma: no cover - execve does not return


ADMIN_NAME_ENV = "ROUNDTABLE_ADMIN"
ADMIN_PASSWORD_ENV = "ROUNDTABLE_ADMIN_PASSWORD"


def _is_loopback(host: str) -> bool:
    host = host.strip().lower().strip("[]")
    return host in ("localhost", "::1", "ip6-localhost") or host.startswith("127.")


def _bootstrap_admin(store: Store) -> None:
    """Containers: the first administrator from $ROUNDTABLE_ADMIN / $ROUNDTABLE_ADMIN_PASSWORD
    (only while there is none)."""
    name = os.environ.get(ADMIN_NAME_ENV, "").strip()
    password = os.environ.get(ADMIN_PASSWORD_ENV, "")
    if name and password and not store.has_admin():
        store.create_account(_local(), name, password, role="admin")
        print(f"Created the administrator {name!r} from {ADMIN_NAME_ENV}.", flush=True)


SSO_SECRET_ENV = "ROUNDTABLE_SSO_CLIENT_SECRET"


def _sso_secrets(args: argparse.Namespace, data_dir: Path, shared: bool) -> list[str]:
    """Single sign-on through Streamlit's own ``st.login``: its ``[auth]`` settings go to a
    0600 file in the data dir (never on a command line), with a cookie secret kept there
    too so sign-ins survive a restart. Returns the Streamlit options that point at it."""
    if not (args.sso_issuer or args.sso_client_id):
        return []
    if not shared:
        raise CliError("single sign-on is for shared mode: add --shared", EXIT_USAGE)
    if not (args.sso_issuer and args.sso_client_id):
        raise CliError("single sign-on needs both --sso-issuer and --sso-client-id", EXIT_USAGE)
    client_secret = os.environ.get(SSO_SECRET_ENV, "")
    if not client_secret:
        raise CliError(f"single sign-on needs the client secret in ${SSO_SECRET_ENV}",
                       EXIT_USAGE)
    import secrets as token_source

    issuer = args.sso_issuer.rstrip("/")
    metadata = (issuer if issuer.endswith("/.well-known/openid-configuration")
                else f"{issuer}/.well-known/openid-configuration")
    public = (args.public_url or f"http://localhost:{args.port}").rstrip("/")
    cookie_file = data_dir / "sso_cookie.key"
    if not cookie_file.exists():
        _write_private(cookie_file, token_source.token_urlsafe(32))
    cookie_secret = cookie_file.read_text(encoding="utf-8").strip()
    values = {"redirect_uri": f"{public}/oauth2callback", "cookie_secret": cookie_secret,
              "client_id": args.sso_client_id, "client_secret": client_secret,
              "server_metadata_url": metadata}
    toml = "[auth]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
    target = data_dir / "sso_secrets.toml"
    _write_private(target, toml)
    return ["--secrets.files", str(target)]


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _check_port_free(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise CliError(f"port {port} is out of range: use 1-65535", EXIT_USAGE)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                           "pick another with --port") from exc

