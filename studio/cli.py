"""The ``roundtable`` command: ``ui``, ``worker``, ``run``, ``serve``,
``templates list|export|import``, ``db backup|restore``, ``admin create|password|list``.

``roundtable ui`` on a loopback address is personal mode (no sign-in); ``--shared`` or any
other ``--host`` is shared mode, which refuses to start until an administrator exists.
The other commands act as the person at this machine (``Actor.local()``).

Errors reach people in one shape: one line on stderr and a non-zero exit, never a
traceback (set ROUNDTABLE_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    from studio.runs import RunHandle
    from studio.spec import Registry
    from studio.store import Actor, Store

PROG = "roundtable"
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


class CliError(Exception):
    """A one-line reason to stop, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


# -- parser --------------------------------------------------------------------------------
def _add_storage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="where the database and run work dirs live "
                             "(default: $ROUNDTABLE_DATA_DIR or ~/.local/share/roundtable)")
    parser.add_argument("--db-url", default=None, metavar="URL",
                        help="database URL instead of the SQLite file in the data dir "
                             "(e.g. postgresql+psycopg2://user:pw@host/db; "
                             "default: $ROUNDTABLE_DB_URL)")


def _add_broker(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--broker", default=None, metavar="URL",
                        help=f"{text} (e.g. redis://127.0.0.1:6379/0; "
                             "default: $ROUNDTABLE_BROKER_URL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Roundtable Studio: build and run multi-agent conversations.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ui = commands.add_parser("ui", help="start the studio in your browser",
                             description="Start the studio web app and print its URL.")
    ui.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default: 127.0.0.1, this machine only)")
    ui.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    ui.add_argument("--shared", action="store_true",
                    help="shared mode: people sign in and see only their own work (implied by "
                         "any --host other than this machine; needs `roundtable admin create`)")
    ui.add_argument("--sso-issuer", metavar="URL", default=None,
                    help="shared mode: also offer single sign-on with this OpenID Connect "
                         "provider (its issuer URL); the client secret comes from "
                         "$ROUNDTABLE_SSO_CLIENT_SECRET")
    ui.add_argument("--sso-client-id", metavar="ID", default=None,
                    help="the studio's client id at the --sso-issuer provider")
    ui.add_argument("--public-url", metavar="URL", default=None,
                    help="the address people open (for the sign-on redirect; default: "
                         "http://localhost:PORT)")
    _add_broker(ui, "hand every run to Celery workers (`roundtable worker`) through this "
                    "Redis URL instead of running it in this process")
    _add_storage(ui)

    worker = commands.add_parser(
        "worker", help="execute runs handed over by studios (a Celery worker)",
        description="Start a Celery worker that executes the runs studios started with "
                    "--broker. Runs survive a worker's death: another worker takes them over "
                    "from their last stored message.")
    _add_broker(worker, "the Redis URL the studios hand runs to (required)")
    worker.add_argument("--concurrency", type=int, default=16, metavar="N",
                        help="how many runs this worker executes at once (default: 16)")
    worker.add_argument("--name", default=None,
                        help="the worker's name in logs (default: roundtable-HOST-PID)")
    _add_storage(worker)

    run = commands.add_parser(
        "run", help="run a template headless, printing the transcript live",
        description="Run a template without the browser. TEMPLATE is a bundled template "
                    "(see `roundtable templates list`), a stored template's name, or a "
                    "YAML/JSON file.")
    run.add_argument("template", metavar="TEMPLATE")
    run.add_argument("--task", default=None,
                     help="what the team should do (default: the template's first sample task)")
    run.add_argument("--model", default=None, metavar="NAME",
                     help="run every agent on this model: demo, local or a stored model "
                          "config name (default: the template's own models)")
    run.add_argument("--human", choices=("console", "never"), default=None,
                     help="console: answer the agents' questions here; never: they are not "
                          "asked (default: console when stdin is a terminal, else never)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON event per line instead of text")
    run.add_argument("--demo-pace", choices=("instant", "readable"), default="instant",
                     help="the Demo model's pace: instant, or readable (words stream in, about "
                          "a second and a half per message, as in a live demo; default: instant)")
    run.add_argument("--demo-delay", type=float, default=0.0, metavar="SECONDS",
                     help="pace the Demo model's streaming (seconds per word; overrides "
                          "--demo-pace)")
    run.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                     help="how long to wait for an OpenAI-compatible model to start answering, "
                          "and between two streamed pieces (default: each model's own "
                          "setting, 60 s unless set on the Models page or in the template)")
    run.add_argument("--retries", type=int, default=None, metavar="N",
                     help="how many more attempts a model call gets after a failure that may "
                          "pass: rate limit, server error, timeout (default: each model's own "
                          "setting, 2 unless set)")
    _add_storage(run)

    serve = commands.add_parser(
        "serve", help="serve templates over HTTP (a run API, and OpenAI-compatible models)",
        description="Serve TEMPLATE(s) as an HTTP service: a native API to start runs, "
                    "follow their events live (Server-Sent Events), answer the agents, "
                    "step in, pause, resume and stop; and POST /v1/chat/completions where "
                    "the model is a template's name, so any OpenAI client can use a team. "
                    "Runs are stored like any other and show in the studio's History. "
                    "API keys (made on the studio's Deploy page) are required beyond "
                    "loopback. The API is described at /docs.")
    serve.add_argument("templates", nargs="+", metavar="TEMPLATE",
                       help="a bundled template, a stored template's name or a YAML/JSON file")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only; "
                            "any other address requires API keys)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--require-key", action="store_true",
                       help="require an API key on loopback too")
    serve.add_argument("--model", action="append", default=[], metavar="NAME", dest="models",
                       help="a model callers may choose besides the template's own and the "
                            "Demo model: local or a stored model config (repeat for more)")
    serve.add_argument("--rate-limit", type=int, default=60, metavar="N",
                       help="requests a minute per API key, for keys without a limit of "
                            "their own (default: 60)")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                       help="a web origin whose pages may call the service from a browser, "
                            "e.g. https://demo.example.org (repeat for more; default: none)")
    _add_broker(serve, "hand every run to Celery workers (`roundtable worker`) through this "
                       "Redis URL, as the studio does; without one, runs go on in this process")
    _add_storage(serve)

    templates = commands.add_parser("templates", help="list templates",
                                    description="Work with templates.")
    templates_sub = templates.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = templates_sub.add_parser("list", help="list bundled and stored templates",
                                       description="List bundled and stored templates.")
    _add_storage(listing)
    export = templates_sub.add_parser(
        "export", help="write a template as YAML, JSON or a runnable Python script",
        description="Write TEMPLATE (bundled, stored or a file) as our YAML or JSON, or as a "
                    "Python script that builds the same team on studio.engine and runs it.")
    export.add_argument("template", metavar="TEMPLATE")
    export.add_argument("--format", choices=("yaml", "json", "python"), default="yaml",
                        help="what to write (default: yaml)")
    export.add_argument("-o", "--output", default="-", metavar="FILE",
                        help="the file to write (default: - for stdout)")
    _add_storage(export)
    imports = templates_sub.add_parser(
        "import", help="store the templates of a file (ours, a bundle, or AutoGen Studio)",
        description="Store every template of FILE: our YAML/JSON, a bundle of several, an "
                    "AutoGen Studio 0.4 team/gallery or 0.2 workflow. Nothing is stored when "
                    "any template in the file is invalid. A template never replaces one that "
                    "is already there: a name in use gets ' (imported)' (then a number), and "
                    "a template identical to one you have is not added again.")
    imports.add_argument("file", metavar="FILE")
    _add_storage(imports)

    db = commands.add_parser("db", help="back up or restore the database",
                             description="Back up or restore the database as one JSON file.")
    db_sub = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    backup = db_sub.add_parser("backup", help="write everything (except secret values) to FILE",
                               description="Write templates, model configs (without secret "
                                           "values), tools, settings and runs to one JSON file.")
    backup.add_argument("file", metavar="FILE", help="the JSON file to write ('-' for stdout)")
    _add_storage(backup)
    restore = db_sub.add_parser("restore", help="load a backup FILE into the database",
                                description="Load a backup; items in it replace stored items "
                                            "of the same name. All or nothing.")
    restore.add_argument("file", metavar="FILE", help="the JSON backup file")
    _add_storage(restore)

    admin = commands.add_parser(
        "admin", help="accounts for shared mode",
        description="Accounts for shared mode (a workshop): the first administrator, "
                    "passwords, who is there. The password is asked twice on a terminal, "
                    "read from one line of standard input otherwise, or from --password-env.")
    admin_sub = admin.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = admin_sub.add_parser("create", help="add an administrator (or --member)",
                                  description="Add an account: an administrator unless --member.")
    create.add_argument("name", metavar="NAME", help="the user name to sign in with")
    create.add_argument("--member", action="store_true", help="a member, not an administrator")
    create.add_argument("--password-env", metavar="VAR", default=None,
                        help="read the password from this environment variable")
    _add_storage(create)
    password = admin_sub.add_parser("password", help="set a new password for NAME",
                                    description="Set a new password; NAME's sessions end.")
    password.add_argument("name", metavar="NAME")
    password.add_argument("--password-env", metavar="VAR", default=None,
                          help="read the password from this environment variable")
    _add_storage(password)
    listing = admin_sub.add_parser("list", help="list the accounts",
                                   description="List the accounts and their roles.")
    _add_storage(listing)
    return parser


# -- shared --------------------------------------------------------------------------------
def _data_dir(args: argparse.Namespace) -> Path:
    from studio.store import default_data_dir

    return (args.data_dir or default_data_dir()).expanduser().resolve()


def _db_url(args: argparse.Namespace) -> str | None:
    return args.db_url or os.environ.get("ROUNDTABLE_DB_URL") or None


def _open_store(args: argparse.Namespace) -> Store:
    from studio.store import Store

    return Store.open(_db_url(args), data_dir=_data_dir(args))


def _local() -> Actor:
    """The command line acts as the person at this machine: personal mode's one user."""
    from studio.store import Actor

    return Actor.local()


def _registry(store: Store) -> Registry:
    from studio.runs import actor_registry
    from studio.spec import Registry

    return actor_registry(store, _local(), Registry.bundled())


# -- ui ------------------------------------------------------------------------------------
def cmd_ui(args: argparse.Namespace) -> int:
    import studio

    app = Path(studio.__file__).resolve().parent / "app" / "main.py"
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


def _broker(args: argparse.Namespace, *, required: bool) -> str | None:
    from studio.runs import RunError, broker_url, check_broker

    url = broker_url(args.broker)
    if url is None:
        if required:
            raise CliError("give the Redis URL of the broker: --broker redis://HOST:6379/0 "
                           "(or set ROUNDTABLE_BROKER_URL)", EXIT_USAGE)
        return None
    try:
        check_broker(url)
    except RunError as exc:
        raise CliError(str(exc)) from exc
    return url


def _masked(url: str | None) -> str:
    from studio.runs import masked_url

    return masked_url(url)


def _print_configuration_notes(store: Store, broker: str | None) -> None:
    from studio.runs import configuration_notes

    for note in configuration_notes(store, broker):
        print(f"note: {note}", file=sys.stderr)


# -- worker --------------------------------------------------------------------------------
def cmd_worker(args: argparse.Namespace) -> int:
    from studio.runs import start_worker
    from studio.spec import Registry

    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1", EXIT_USAGE)
    broker = _broker(args, required=True)
    assert broker is not None
    store = _open_store(args)
    _print_configuration_notes(store, broker)
    print(f"Roundtable worker: runs from {_masked(broker)}, {args.concurrency} at a time "
          f"(data: {_data_dir(args)}; Ctrl-C hands its runs to the other workers)", flush=True)
    start_worker(broker, store, Registry.bundled(), data_dir=_data_dir(args),  # + the owner's
                 concurrency=args.concurrency, name=args.name)
    return 0


# -- run -----------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from studio.runs import RunManager, find_template
    from studio.spec import Registry

    if args.demo_delay < 0:
        raise CliError("--demo-delay must be 0 or more seconds", EXIT_USAGE)
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise CliError("--timeout must be more than 0 and at most 3600 seconds", EXIT_USAGE)
    if args.retries is not None and not 0 <= args.retries <= 10:
        raise CliError("--retries must be between 0 and 10", EXIT_USAGE)
    store = _open_store(args)
    registry = _registry(store)
    name, spec = find_template(args.template, store=store, registry=registry, actor=_local())
    task = args.task if args.task is not None else spec.default_task
    if not task.strip():
        raise CliError(f"template {name!r} has no sample task: give one with --task", EXIT_USAGE)
    human = args.human or ("console" if sys.stdin.isatty() else "never")
    manager = RunManager(store, Registry.bundled(), data_dir=_data_dir(args),
                         demo_token_delay=args.demo_delay, demo_pace=args.demo_pace)
    run_id = manager.start(_local(), spec, task, template_name=name, model=args.model,
                           source="cli",
                           human="mailbox" if human == "console" else "never",
                           timeout=args.timeout, retries=args.retries)
    handle = manager.get(_local(), run_id)
    assert handle is not None
    try:
        _follow(handle, sys.stdout, as_json=args.json)
    except KeyboardInterrupt:
        handle.cancel()
        handle.wait(5)
        raise CliError(f"cancelled (run {run_id} kept in the history)", EXIT_INTERRUPTED) from None
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        handle.cancel()
        handle.wait(5)
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    if handle.status == "finished":
        return 0
    if handle.status == "cancelled":
        raise CliError(f"cancelled (run {run_id} kept in the history)", EXIT_INTERRUPTED)
    raise CliError(f"run failed: {handle.error or handle.reason}")


def _follow(handle: RunHandle, out: TextIO, *, as_json: bool) -> None:
    """Print events as they come; answer the agents' questions from stdin."""
    from studio.engine.transcript import TextTranscript, render

    text = TextTranscript()
    seen = 0
    answered: object = None  # the request last answered (it stays pending a moment)
    while True:
        for event in handle.wait_for_events(seen, timeout=0.2):
            seen = event["seq"]
            out.write(render(event, text, as_json=as_json))
        out.flush()
        if handle.done and seen == handle.last_seq:
            return
        request = handle.pending
        if request is not None and request is not answered and seen == handle.last_seq:
            answered = request
            handle.answer(_ask(request, prompt_to=sys.stderr if as_json else out))


def _ask(request: Any, prompt_to: TextIO) -> Any:
    """The person's answer from stdin: text, or a CodeDecision for a code approval."""
    from studio.engine import read_code_decision

    if request.kind == "code_approval":
        return read_code_decision(request, lambda prompt: _read_line(prompt, prompt_to))
    if request.kind == "speaker":
        prompt = f"Choose who speaks next ({', '.join(request.options)}): "
    else:
        prompt = f"\n[{request.agent}] your reply (empty = let the agent reply, exit = end): "
    try:
        return _read_line(prompt, prompt_to)
    except EOFError:  # end of input: nobody is there to answer
        prompt_to.write("exit (end of input)\n")
        return "exit"


def _read_line(prompt: str, prompt_to: TextIO) -> str:
    """One line from stdin after showing ``prompt``; EOFError at the end of input."""
    prompt_to.write(prompt)
    prompt_to.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    if not sys.stdin.isatty():  # answers piped in: show them as if typed
        prompt_to.write(line)
    return line.rstrip("\n")


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# -- serve ---------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from studio.runs import RunManager
    from studio.serve import ServeOptions, serve
    from studio.spec import Registry

    if not 1 <= args.rate_limit <= 100_000:
        raise CliError("--rate-limit must be between 1 and 100000 requests a minute",
                       EXIT_USAGE)
    for origin in args.cors_origin:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise CliError(f"--cors-origin {origin!r} is not a web origin: write it as "
                           "https://host[:port] (or * for any)", EXIT_USAGE)
    _check_port_free(args.host, args.port)
    store = _open_store(args)
    broker = _broker(args, required=False)
    _print_configuration_notes(store, broker)
    manager = RunManager(store, Registry.bundled(), data_dir=_data_dir(args), broker=broker)
    options = ServeOptions(templates=tuple(args.templates), host=args.host, port=args.port,
                           require_key=args.require_key,
                           cors_origins=tuple(o.rstrip("/") for o in args.cors_origin),
                           models=tuple(args.models), rate_limit=args.rate_limit)
    try:
        serve(options, store, manager)
    except KeyboardInterrupt:
        pass
    return 0


# -- templates, db -------------------------------------------------------------------------
def cmd_templates(args: argparse.Namespace) -> int:
    from studio.runs import template_choices

    store = _open_store(args)
    if args.action == "export":
        return _export_template(args, store)
    if args.action == "import":
        return _import_templates(args, store)
    choices = template_choices(store, _registry(store), _local())
    width = max([len(c.key) for c in choices] + [4])
    print(f"{'NAME':<{width}}  {'PATTERN':<9}  {'ORIGIN':<7}  DESCRIPTION")
    for c in choices:
        description = c.description if len(c.description) <= 70 else c.description[:69] + "…"
        print(f"{c.key:<{width}}  {c.pattern:<9}  {c.origin:<7}  {description}")
    return 0


def _export_template(args: argparse.Namespace, store: Store) -> int:
    from studio.runs import find_template
    from studio.spec import export_file, export_script

    registry = _registry(store)
    _, spec = find_template(args.template, store=store, registry=registry, actor=_local())
    text = (export_script(spec, registry=registry) if args.format == "python"
            else export_file(spec, args.format))
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from exc
    print(f"wrote {spec.name!r} to {args.output}")
    return 0


def _import_templates(args: argparse.Namespace, store: Store) -> int:
    from studio.runs import apply_import, plan_import
    from studio.spec import summarise

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    registry = _registry(store)
    plan = plan_import(content, path.name, store=store, actor=_local(), registry=registry)
    if not plan.ok:
        raise CliError(f"{args.file} cannot be imported; nothing was stored: "
                       + "; ".join(summarise(plan.problems)))
    for item in plan.items:  # the plan first: what will be added, and under which name
        print(f"{item.plan_line()} ({item.source_format})")
    for item in apply_import(plan, store=store, actor=_local(), registry=registry):
        if item.action != "unchanged":
            print(f"imported {item.name!r}")
        for line in item.not_mapped:
            print(f"  not mapped: {line}")
        for line in item.warnings:
            print(f"  warning: {line}")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env, "")
        if not value:
            raise CliError(f"the environment variable {args.password_env} is empty or unset",
                           EXIT_USAGE)
        return value
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password (8 characters or more): ")
        if getpass.getpass("The same password again: ") != first:
            raise CliError("the two passwords differ; nothing was changed", EXIT_USAGE)
        return first
    line = sys.stdin.readline()
    if not line:
        raise CliError("no password given: type it on a terminal, pipe one line, or use "
                       "--password-env VAR", EXIT_USAGE)
    return line.rstrip("\r\n")


def cmd_admin(args: argparse.Namespace) -> int:
    store = _open_store(args)
    if args.action == "list":
        accounts = store.list_accounts(_local())
        if not accounts:
            print("No accounts yet: `roundtable admin create NAME` adds the administrator.")
        for account in accounts:
            state = "" if account.active else "  (access ended)"
            print(f"{account.name:<24} {account.role:<7} {account.label}{state}")
        return 0
    password = _read_password(args)
    if args.action == "password":
        store.set_password(_local(), args.name, password)
        print(f"New password set for {args.name!r}; their sessions ended.")
        return 0
    role = "member" if args.member else "admin"
    account = store.create_account(_local(), args.name, password, role=role)
    print(f"Created the {'administrator' if role == 'admin' else 'member'} {account.name!r}. "
          "Start the shared studio with `roundtable ui --shared` (or --host 0.0.0.0).")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    store = _open_store(args)
    if args.action == "backup":
        data = store.backup(_local())
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if args.file == "-":
            sys.stdout.write(text + "\n")
            return 0
        try:
            Path(args.file).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.file}: {exc.strerror}") from exc
        counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        print(f"backed up to {args.file}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        return 0
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file} is not JSON (line {exc.lineno}): {exc.msg}") from exc
    if not isinstance(data, dict):
        raise CliError(f"{args.file} is not a Roundtable backup (expected a JSON object)")
    restored = store.restore(_local(), data)
    print(f"restored from {args.file}: " + ", ".join(f"{n} {k}" for k, n in restored.items()))
    return 0


# -- entry point ---------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    from studio.spec import SpecError, summarise

    if isinstance(exc, SpecError):
        return "invalid template: " + "; ".join(summarise(exc.errors or exc.problems))
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]
    return text or type(exc).__name__


def _exit_now(code: int) -> NoReturn:
    """Leave at once after Ctrl-C, as the program (not when main() is called with argv).

    The run has been cancelled and its end stored (every write is committed); tearing the
    interpreter down would only keep the person waiting (seconds on a busy machine)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed pipe: nothing more to say
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"ui": cmd_ui, "worker": cmd_worker, "run": cmd_run, "serve": cmd_serve,
                "templates": cmd_templates, "db": cmd_db, "admin": cmd_admin}
    try:
        return handlers[args.command](args)
    except CliError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        if exc.code == EXIT_INTERRUPTED and argv is None:
            _exit_now(exc.code)
        return exc.code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        if argv is None:
            _exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except Exception as exc:  # errors reach people as one line, never a traceback
        if os.environ.get("ROUNDTABLE_DEBUG"):
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
