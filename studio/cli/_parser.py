"""The ``roundtable`` command line's options and help texts."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import PROG


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
    serve.add_argument("--answer-timeout", type=float, default=30.0, metavar="MINUTES",
                       help="stop a run whose question to the caller waits this long for an "
                            "answer (default: 30; 0 waits forever)")
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
                               description="Write accounts (without passwords), templates, "
                                           "model configs (without secret values), tools, "
                                           "settings, runs, document collections and Builder "
                                           "drafts, each with its owner, to one JSON file.")
    backup.add_argument("file", metavar="FILE", help="the JSON file to write ('-' for stdout)")
    _add_storage(backup)
    restore = db_sub.add_parser("restore", help="load a backup FILE into the database",
                                description="Load a backup; items in it replace stored items "
                                            "of the same owner and name. Accounts this studio "
                                            "lacks are made, without a password (set one with "
                                            "`admin password`). All or nothing.")
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

