"""Suite-wide guard: no test may open a connection beyond this machine.

Loopback (127.0.0.0/8, ::1, localhost) and Unix sockets stay allowed, so the tests'
own servers, browsers and sandboxes work; anything else raises at once.

Each test's reports are kept on it (``item.rep_setup``, ``rep_call``, ``rep_teardown``), so
a fixture can keep logs and screenshots of a failed test.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `tests.support` must import however pytest is started
    sys.path.insert(0, str(ROOT))

_LOOPBACK_NAMES = {"localhost", "::1", "0.0.0.0", "::", "ip6-localhost"}


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and other local families
    host = str(address[0]).lower()
    if host.startswith("::ffff:"):
        host = host[len("::ffff:"):]
    return host.startswith("127.") or host in _LOOPBACK_NAMES


class NetworkBlockedError(ConnectionError):
    pass


def _guarded(original: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NetworkBlockedError(
                f"tests must not reach the network: connect to {address!r} was blocked by "
                "tests/conftest.py; use the loopback servers in tests/support instead")
        return original(self, address)

    connect._loopback_guard = True  # type: ignore[attr-defined]
    return connect


def pytest_configure(config: Any) -> None:
    if getattr(socket.socket.connect, "_loopback_guard", False):
        return
    socket.socket.connect = _guarded(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(socket.socket.connect_ex)  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
