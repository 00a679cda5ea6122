"""Waiting for state and finding leftover processes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def processes_with(marker: str) -> list[int]:
    """Live host pids whose command line contains ``marker`` (container processes included;
    read from /proc, no psutil)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry))
    return found


def wait_until(predicate: Callable[[], object], timeout: float = 90.0,
               what: str = "state") -> None:
    """Poll ``predicate`` until it holds; fail saying what was awaited after ``timeout`` s."""
    if not wait_for(predicate, timeout):
        raise AssertionError(f"timed out waiting for {what}")
