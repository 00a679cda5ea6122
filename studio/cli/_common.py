"""What every ``roundtable`` command shares: the one-line error, exit codes, the store and
the broker from the command line's options."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

