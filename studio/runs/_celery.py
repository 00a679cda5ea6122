"""Runs on Celery workers over Redis: the task, the app, and `roundtable worker`.

The studio only enqueues (:class:`CeleryDispatch`); a worker claims the run under its
lease and executes it (:class:`~studio.runs._worker.WorkerRuntime`). Tasks are small (a run
id); everything else is in the store. The worker pool is threads: a run mostly waits (on a
model, on a person), so one process holds many.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from studio.spec import Registry
    from studio.store import Store

    from ._worker import WorkerRuntime

TASK_NAME = "roundtable.run"
QUEUE = "roundtable"
DEFAULT_CONCURRENCY = 16

_runtime: WorkerRuntime | None = None
log = logging.getLogger("roundtable.worker")


def broker_url(explicit: str | None = None) -> str | None:
    """``explicit``, else $ROUNDTABLE_BROKER_URL, else None (runs stay in-process)."""
    return explicit or os.environ.get("ROUNDTABLE_BROKER_URL") or None


def check_broker(url: str) -> None:
    """Raise ``RunError`` with what to do when ``url`` is not a reachable Redis."""
    from ._channel import redis_client
    from ._errors import RunError

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise RunError(f"unsupported broker {url!r}: give a Redis URL like redis://HOST:6379/0")
    try:
        redis_client(url).ping()
    except Exception as exc:
        raise RunError(f"cannot reach the broker {url}: {exc}; start Redis "
                       "(scripts/setup_redis.sh) or fix the URL") from exc


def celery_app(broker: str) -> Celery:
    """The Celery app of Roundtable runs on ``broker`` (a Redis URL)."""
    from celery import Celery

    app = Celery("roundtable", broker=broker, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=False,  # our leases, not redelivery, recover the runs of a dead worker
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 300},
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )

    @app.task(name=TASK_NAME, ignore_result=True)
    def run(run_id: str) -> str:
        if _runtime is None:  # pragma: no cover - only `roundtable worker` consumes the queue
            raise RuntimeError("this process is not a Roundtable worker (start `roundtable worker`)")
        outcome = _runtime.execute(run_id)
        log.info("run %s: %s", run_id, outcome)
        return outcome

    return app


class CeleryDispatch:
    """The studio side: hands runs to the workers."""

    def __init__(self, broker: str) -> None:
        self.broker = broker
        self.app = celery_app(broker)

    def enqueue(self, run_id: str) -> None:
        self.app.send_task(TASK_NAME, args=[run_id], queue=QUEUE)


def start_worker(broker: str, store: Store, registry: Registry, *, data_dir: Path,
                 concurrency: int = DEFAULT_CONCURRENCY, name: str | None = None,
                 loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process until it is stopped (blocking)."""
    from celery import signals

    from ._worker import WorkerRuntime

    global _runtime
    app = celery_app(broker)

    def enqueue(run_id: str) -> None:
        app.send_task(TASK_NAME, args=[run_id], queue=QUEUE)

    _runtime = runtime = WorkerRuntime(store, registry, data_dir=data_dir, broker=broker,
                                       enqueue=enqueue)

    def hand_over(**_kwargs: Any) -> None:
        runtime.hand_over()

    signals.worker_shutting_down.connect(hand_over, weak=False)
    hostname = name or f"roundtable-{socket.gethostname()}-{os.getpid()}"
    try:
        app.worker_main(["worker", "--pool", "threads", "--concurrency", str(concurrency),
                         "--loglevel", loglevel, "--hostname", hostname, "--queues", QUEUE,
                         "--without-gossip", "--without-mingle"])
    finally:
        runtime.close()
        _runtime = None
