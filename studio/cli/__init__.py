"""The ``roundtable`` command: ``ui``, ``worker``, ``run``, ``serve``,
``templates list|export|import``, ``db backup|restore``, ``admin create|password|list``.

``roundtable ui`` on a loopback address is personal mode (no sign-in); ``--shared`` or any
other ``--host`` is shared mode, which refuses to start until an administrator exists.
The other commands act as the person at this machine (``Actor.local()``).

Errors reach people in one shape: one line on stderr and a non-zero exit, never a
traceback (set ROUNDTABLE_DEBUG=1 to see one). A template file's problems are the one
exception: a first line naming the file, then a line per problem saying the line of the file
it is on (``line 12: agents[1].model: ...``), and for a YAML syntax error that line itself,
with a caret under the place.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ._common import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    CliError,
    _broker,
    _data_dir,
    _local,
    _masked,
    _open_store,
    _print_configuration_notes,
    _registry,
)
from ._parser import build_parser
from ._ui import _check_port_free, cmd_ui

if TYPE_CHECKING:
    from studio.runs import RemoteHandle, RunHandle
    from studio.store import Store

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "PROG", "CliError", "build_parser",
           "cmd_ui", "main"]


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
        with _CtrlC() as ctrl_c:
            _follow(handle, sys.stdout, as_json=args.json, ctrl_c=ctrl_c)
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


class _CtrlC:
    """Ctrl-C while a run is followed, raised as KeyboardInterrupt only where it is safe.

    Python raises it wherever the main thread happens to be: inside a lock the run's own
    thread needs (the handle's), it left that lock held and the run could never end (it
    stayed "running"). Here a press is noted and raised between two looks at the run, or
    at once while the person is being asked something (nothing is held then)."""

    def __init__(self) -> None:
        self.pressed = False
        self.asking = False
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        self._previous = signal.signal(signal.SIGINT, self._press)
        return self

    def __exit__(self, *_exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _press(self, _signum: int, _frame: Any) -> None:
        self.pressed = True
        if self.asking:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt


def _follow(handle: RunHandle | RemoteHandle, out: TextIO, *, as_json: bool,
            ctrl_c: _CtrlC) -> None:
    """Print events as they come; answer the agents' questions from stdin."""
    from studio.engine.transcript import TextTranscript, render

    text = TextTranscript()
    seen = 0
    answered: object = None  # the request last answered (it stays pending a moment)
    while True:
        ctrl_c.check()
        for event in handle.wait_for_events(seen, timeout=0.2):
            seen = event["seq"]
            out.write(render(event, text, as_json=as_json))
        out.flush()
        if handle.done and seen == handle.last_seq:
            return
        request = handle.pending
        if request is not None and request is not answered and seen == handle.last_seq:
            answered = request
            ctrl_c.asking = True
            try:
                ctrl_c.check()
                reply = _ask(request, prompt_to=sys.stderr if as_json else out)
            finally:
                ctrl_c.asking = False
            handle.answer(reply)


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
    if not 0 <= args.answer_timeout <= 7 * 24 * 60:
        raise CliError("--answer-timeout must be between 0 (wait forever) and 10080 minutes "
                       "(a week)", EXIT_USAGE)
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
                           models=tuple(args.models), rate_limit=args.rate_limit,
                           answer_timeout=args.answer_timeout * 60 or None)
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
        headline = f"{args.file} cannot be imported; nothing was stored"
        if plan.errors:
            raise CliError(_problem_report(headline, plan.errors, plan.text or None))
        raise CliError(f"{headline}: " + "; ".join(summarise(plan.problems)))
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
    words = {"accounts": "new accounts", "model_configs": "model configs",
             "document_collections": "document collections"}
    print(f"restored from {args.file}: "
          + ", ".join(f"{n} {words.get(k, k)}" for k, n in restored.items()))
    if restored.get("accounts"):
        print(f"the new accounts have no password yet: set one with `{PROG} admin password "
              "NAME` (single sign-on finds its people again)")
    return 0


# -- entry point ---------------------------------------------------------------------------
def _problem_report(headline: str, problems: list[Any], text: str | None) -> str:
    """``headline: problem`` for one problem the text has no line for; else the headline,
    then each problem on a line of its own (see :func:`studio.spec.problem_lines`); the
    headline names the file. An unknown model is followed by where models come from."""
    from studio.spec import problem_lines

    if len(problems) == 1 and problems[0].line is None:
        report = f"{headline}: {problems[0]}"
    else:
        report = headline + ":\n" + "\n".join("  " + line for line in problem_lines(problems, text))
    if any(p.message.startswith("unknown model ") for p in problems):
        report += ("\n  A model is one of the template's own (its models: section), a built-in "
                   "one, or one added on the studio's Models page: start the studio with "
                   f"`{PROG} ui` and add it there.")
    return report


def _error_text(exc: BaseException) -> str:
    from studio.spec import SpecError

    if isinstance(exc, SpecError):
        problems = exc.errors or exc.problems
        sources = sorted({p.source for p in problems} - {""})
        headline = f"{sources[0]} is not a valid template" if len(sources) == 1 else \
            "invalid template"
        return _problem_report(headline, problems, exc.text)
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
    try:
        return _dispatch(argv)
    finally:
        if argv is None:
            # The process ends next: spare it the collector's walk over every object
            # SQLAlchemy and pydantic made (80 ms of `templates list`); the memory goes
            # back to the system anyway.
            gc.freeze()


def _dispatch(argv: list[str] | None) -> int:
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
        print(f"{PROG}: error: {_error_text(exc)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
