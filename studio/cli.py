"""The ``roundtable`` command: ``ui``, ``worker``, ``run``, ``serve``,
``templates list|export|import``,
``db backup|restore``.

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
    from studio.store import Store

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


# -- ui ------------------------------------------------------------------------------------
def cmd_ui(args: argparse.Namespace) -> int:
    import studio

    app = Path(studio.__file__).resolve().parent / "app" / "main.py"
    if not app.is_file():
        raise CliError(f"the studio web app is missing ({app}); reinstall roundtable-studio")
    _check_port_free(args.host, args.port)
    data_dir = _data_dir(args)
    store = _open_store(args)  # fail here, in one line, on a bad data dir or database URL
    broker = _broker(args, required=False)
    interrupted = store.mark_interrupted_runs()  # runs of a server that died are not "running"
    if interrupted:
        print(f"{interrupted} run(s) left running by a stopped server are marked interrupted.")
    _print_configuration_notes(store, broker)
    env = dict(os.environ, ROUNDTABLE_DATA_DIR=str(data_dir))
    if _db_url(args):
        env["ROUNDTABLE_DB_URL"] = str(_db_url(args))
    if broker:
        env["ROUNDTABLE_BROKER_URL"] = broker
    package_root = str(app.parents[2])  # so the app finds `studio` from a checkout too
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.headless", "true", "--server.address", args.host,
               "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"]
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    runs = f"runs on the workers of {_masked(broker)}" if broker else "runs in this process"
    print(f"Roundtable Studio: http://{host}:{args.port}  (data: {data_dir}; {runs}; "
          "Ctrl-C stops it)", flush=True)
    os.execve(sys.executable, command, env)  # the server takes this process's place
    return 0  # pragma: no cover - execve does not return


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
    from studio.runs import registry_with_store, start_worker

    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1", EXIT_USAGE)
    broker = _broker(args, required=True)
    assert broker is not None
    store = _open_store(args)
    _print_configuration_notes(store, broker)
    print(f"Roundtable worker: runs from {_masked(broker)}, {args.concurrency} at a time "
          f"(data: {_data_dir(args)}; Ctrl-C hands its runs to the other workers)", flush=True)
    start_worker(broker, store, registry_with_store(store), data_dir=_data_dir(args),
                 concurrency=args.concurrency, name=args.name)
    return 0


# -- run -----------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from studio.runs import RunManager, find_template, registry_with_store

    if args.demo_delay < 0:
        raise CliError("--demo-delay must be 0 or more seconds", EXIT_USAGE)
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise CliError("--timeout must be more than 0 and at most 3600 seconds", EXIT_USAGE)
    if args.retries is not None and not 0 <= args.retries <= 10:
        raise CliError("--retries must be between 0 and 10", EXIT_USAGE)
    store = _open_store(args)
    registry = registry_with_store(store)
    name, spec = find_template(args.template, store=store, registry=registry)
    task = args.task if args.task is not None else spec.default_task
    if not task.strip():
        raise CliError(f"template {name!r} has no sample task: give one with --task", EXIT_USAGE)
    human = args.human or ("console" if sys.stdin.isatty() else "never")
    manager = RunManager(store, registry, data_dir=_data_dir(args),
                         demo_token_delay=args.demo_delay, demo_pace=args.demo_pace)
    run_id = manager.start(spec, task, template_name=name, model=args.model,
                           human="mailbox" if human == "console" else "never",
                           timeout=args.timeout, retries=args.retries)
    handle = manager.get(run_id)
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
    from studio.runs import RunManager, registry_with_store
    from studio.serve import ServeOptions, serve

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
    registry = registry_with_store(store)
    manager = RunManager(store, registry, data_dir=_data_dir(args), broker=broker)
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
    from studio.runs import registry_with_store, template_choices

    store = _open_store(args)
    if args.action == "export":
        return _export_template(args, store)
    if args.action == "import":
        return _import_templates(args, store)
    choices = template_choices(store, registry_with_store(store))
    width = max([len(c.key) for c in choices] + [4])
    print(f"{'NAME':<{width}}  {'PATTERN':<9}  {'ORIGIN':<7}  DESCRIPTION")
    for c in choices:
        description = c.description if len(c.description) <= 70 else c.description[:69] + "…"
        print(f"{c.key:<{width}}  {c.pattern:<9}  {c.origin:<7}  {description}")
    return 0


def _export_template(args: argparse.Namespace, store: Store) -> int:
    from studio.runs import find_template, registry_with_store
    from studio.spec import export_file, export_script

    registry = registry_with_store(store)
    _, spec = find_template(args.template, store=store, registry=registry)
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
    from studio.runs import apply_import, plan_import, registry_with_store
    from studio.spec import summarise

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    registry = registry_with_store(store)
    plan = plan_import(content, path.name, store=store, registry=registry)
    if not plan.ok:
        raise CliError(f"{args.file} cannot be imported; nothing was stored: "
                       + "; ".join(summarise(plan.problems)))
    for item in plan.items:  # the plan first: what will be added, and under which name
        print(f"{item.plan_line()} ({item.source_format})")
    for item in apply_import(plan, store=store, registry=registry):
        if item.action != "unchanged":
            print(f"imported {item.name!r}")
        for line in item.not_mapped:
            print(f"  not mapped: {line}")
        for line in item.warnings:
            print(f"  warning: {line}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    store = _open_store(args)
    if args.action == "backup":
        data = store.backup()
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
    restored = store.restore(data)
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
                "templates": cmd_templates, "db": cmd_db}
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
