"""This process's lease: a heartbeat in the store that says it is alive and holds its runs.

A studio (in-process runs), a CLI run and a Celery worker each keep one. On every beat
the process also tidies up after processes that died: local runs whose holder is gone are
marked ``interrupted``; a worker releases the runs of dead workers and queues them again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.store import Store

DEFAULT_TTL = 15.0  # seconds without a heartbeat after which a process counts as dead


def lease_ttl() -> float:
    """$ROUNDTABLE_LEASE_TTL (seconds), else 15."""
    try:
        value = float(os.environ.get("ROUNDTABLE_LEASE_TTL", "") or DEFAULT_TTL)
    except ValueError:
        return DEFAULT_TTL
    return max(value, 1.0)


class Heartbeat:
    """Opens a lease and renews it every ``ttl / 5`` seconds on a daemon thread; each beat
    then calls ``on_beat`` (failures there are retried at the next beat)."""

    def __init__(self, store: Store, kind: str, *, ttl: float | None = None,
                 on_beat: Callable[[], object] | None = None) -> None:
        self.store = store
        self.ttl = ttl or lease_ttl()
        self.on_beat = on_beat
        self.kind = kind
        self.lease_id = store.open_lease(kind, self.ttl)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{kind}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.ttl / 5):
            try:
                if not self.store.renew_lease(self.lease_id, self.ttl):
                    self.store.open_lease(self.kind, self.ttl, self.lease_id)
                if self.on_beat is not None:
                    self.on_beat()
            except Exception:  # the database is away for a moment: try at the next beat
                continue

    def stop(self) -> None:
        """Stop beating and end the lease (its runs are orphans from now on)."""
        self._stop.set()
        self._thread.join(timeout=self.ttl)
        try:
            self.store.close_lease(self.lease_id)
        except Exception:
            pass
