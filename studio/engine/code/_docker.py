"""The ``docker`` executor: each block runs in a fresh, locked-down container of a local image.

Works with any Docker-API engine (Docker, or Podman's ``podman system service``) through the
``docker`` SDK. Containers are labelled with the owning process so that containers left behind
by a process that died can be removed later (:func:`cleanup_stale_containers`).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from ._env import code_environment
from ._interface import CodeExecutionError
from ._process import ProcessOutcome, process_start
from ._resources import Limits
from ._runner import BlockExecutor
from ._workdir import make_work_dir

if TYPE_CHECKING:
    from .._control import CancelToken

DEFAULT_IMAGE = "localhost/roundtable-python:latest"
WORKSPACE = "/workspace"
LABEL_MANAGED = "roundtable.managed"
LABEL_PID = "roundtable.pid"
LABEL_PID_START = "roundtable.pid_start"
LABEL_HOST = "roundtable.host"
LABEL_RUN = "roundtable.run"
_NOBODY = 65534
_SOCKETS = (
    "/var/run/docker.sock",
    "/run/roundtable-podman.sock",
    "/run/podman/podman.sock",
)
SETUP_HINT = "bash scripts/setup_sandbox.sh"
# stdout and stderr merged at the source, so the log keeps their order; the host reads the log
# as it grows and stops the container once it has printed more than the cap.
_WRAPPER = 'exec "$@" 2>&1'


def default_base_url() -> str:
    """``DOCKER_HOST``, else the first Docker or Podman socket that exists."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    candidates = list(_SOCKETS)
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(f"{runtime}/podman/podman.sock")
    for path in candidates:
        if os.path.exists(path):
            return f"unix://{path}"
    return f"unix://{_SOCKETS[0]}"


def owner_labels(run_label: str = "") -> dict[str, str]:
    pid = os.getpid()
    labels = {
        LABEL_MANAGED: "1",
        LABEL_PID: str(pid),
        LABEL_PID_START: process_start(pid),
        LABEL_HOST: socket.gethostname(),
    }
    if run_label:
        labels[LABEL_RUN] = run_label
    return labels


def cleanup_stale_containers(client: Any) -> list[str]:
    """Remove our containers whose owning process (on this host) is gone; returns their ids."""
    removed: list[str] = []
    host = socket.gethostname()
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_MANAGED}=1"}):
        labels = container.labels or {}
        if labels.get(LABEL_HOST) != host:
            continue
        try:
            pid = int(labels.get(LABEL_PID, ""))
        except ValueError:
            pid = -1
        alive = pid > 0 and process_start(pid) == labels.get(LABEL_PID_START, "")
        if alive:
            continue
        try:
            container.remove(force=True, v=True)
            removed.append(container.id)
        except Exception:  # already gone, or being removed by someone else
            continue
    return removed


class DockerExecutor(BlockExecutor):
    """Runs each code block in a new container: read-only root, the work dir at /workspace,
    a private /tmp, no network unless enabled, memory/CPU/process/file-size limits; removed
    afterwards. One container at a time per executor, so the container's memory and process
    limits hold for all the code's processes; the work dir's disk limit is shared with every
    executor of the run (see :class:`Limits`)."""

    name = "docker"

    def __init__(
        self,
        *,
        image: str = DEFAULT_IMAGE,
        base_url: str | None = None,
        network: bool = False,
        memory_mb: int = 512,
        cpus: float = 1.0,
        pids_limit: int = 128,
        timeout: float = 60,
        output_limit: int = 20_000,
        max_output_bytes: int = 4_000_000,
        tmp_size_mb: int = 64,
        disk_mb: int | None = 512,
        file_size_mb: int | None = 100,
        work_dir: str | os.PathLike[str] | None = None,
        run_label: str = "",
    ) -> None:
        path, owned = make_work_dir(work_dir, "roundtable-docker-")
        super().__init__(
            work_dir=path, owns_work_dir=owned, timeout=timeout, output_limit=output_limit,
            max_output_bytes=max_output_bytes,
        )
        self.image = image
        self.base_url = base_url or default_base_url()
        self.network = network
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.pids_limit = pids_limit
        self.tmp_size_mb = tmp_size_mb
        self.disk_mb = disk_mb
        self.file_size_mb = file_size_mb
        self.run_label = run_label
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def sandbox(self) -> str:
        return "docker"

    def _run_limits(self) -> Limits:
        return Limits(memory_mb=self.memory_mb, max_processes=self.pids_limit,
                      file_size_mb=self.file_size_mb, disk_mb=self.disk_mb,
                      tmp_size_mb=self.tmp_size_mb)

    @property
    def limits_report(self) -> dict[str, str]:
        """Each limit and what enforces it here."""
        report = {
            "memory": f"{self.memory_mb} MB for the container (all its processes, /tmp included)",
            "processes": f"{self.pids_limit} for the container",
        }
        if self.resources.disk is not None:
            report["disk"] = self.resources.disk.description
        if self.file_size_mb is not None:
            report["file size"] = f"{self.file_size_mb} MB per file"
        return report

    @property
    def sandbox_warning(self) -> str | None:
        disk = self._resources.disk if self._resources is not None else None
        if disk is not None and disk.mode == "watched":
            return (f"limits: the disk limit of {disk.limit_mb} MB is checked every few tenths "
                    f"of a second, not enforced by a file system ({disk.reason})")
        return None

    # -- connection -------------------------------------------------------------------------
    def _no_engine(self, exc: BaseException) -> CodeExecutionError:
        return CodeExecutionError(
            f"no Docker engine at {self.base_url}: start Docker, or Podman's service with "
            "`podman system service --time=0 unix:///run/roundtable-podman.sock`, or set "
            f"DOCKER_HOST (as root, `{SETUP_HINT}` does all of it) [{type(exc).__name__}: {exc}]"
        )

    def client(self) -> Any:
        """The connected SDK client; raises CodeExecutionError saying what to do when there is none."""
        with self._lock:
            if self._client is not None:
                return self._client
            import docker
            from docker.errors import DockerException, ImageNotFound

            try:
                client = docker.DockerClient(base_url=self.base_url, timeout=30)
                client.ping()
            except DockerException as exc:
                raise self._no_engine(exc) from exc
            except OSError as exc:
                raise self._no_engine(exc) from exc
            try:
                client.images.get(self.image)
            except ImageNotFound as exc:
                how = (
                    f"build it with `{SETUP_HINT}`"
                    if self.image == DEFAULT_IMAGE
                    else "build or load it into that engine first (no registry may be reachable)"
                )
                raise CodeExecutionError(
                    f"the image {self.image} is missing on the engine at {self.base_url}: {how}"
                ) from exc
            cleanup_stale_containers(client)
            self._client = client
            return client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def cleanup(self) -> None:
        self.close()
        super().cleanup()

    # -- running ----------------------------------------------------------------------------
    def _prepare(self) -> None:
        self.client()

    def _sandbox_user(self) -> int | None:
        return _NOBODY if os.geteuid() == 0 else None

    def _interpreter(self, language: str) -> list[str]:
        return ["python3"] if language == "python" else [language]

    def _limit_hint(self, signum: int) -> str:
        if signum == 9:
            return f" (the memory limit of {self.memory_mb} MB was probably reached)"
        return ""

    def _container_args(self, argv: list[str]) -> dict[str, Any]:
        guard = math.ceil(self.timeout) + 10  # ends the container even if we die meanwhile
        user = f"{_NOBODY}:{_NOBODY}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
        args: dict[str, Any] = {
            "image": self.image,
            "command": ["timeout", "-s", "KILL", str(guard), "sh", "-c", _WRAPPER, "rt", *argv],
            "working_dir": WORKSPACE,
            "volumes": {str(self._work_dir): {"bind": WORKSPACE, "mode": "rw"}},
            "read_only": True,
            "tmpfs": {"/tmp": f"rw,size={self.tmp_size_mb}m,mode=1777"},
            "mem_limit": f"{self.memory_mb}m",
            "memswap_limit": f"{self.memory_mb}m",
            "nano_cpus": int(self.cpus * 1e9),
            "pids_limit": self.pids_limit,
            "user": user,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "labels": owner_labels(self.run_label),
            "environment": code_environment(home=WORKSPACE, host={}),
        }
        size = self.resources.file_size_bytes()
        if size is not None:
            from docker.types import Ulimit

            # Giving any ulimit replaces the engine's defaults, which it may not raise past its
            # own (the start fails): open files and processes stay at scripts/setup_sandbox.sh's.
            args["ulimits"] = [Ulimit(name="fsize", soft=size, hard=size),
                               Ulimit(name="nofile", soft=1024, hard=1024),
                               Ulimit(name="nproc", soft=1024, hard=1024)]
        if not self.network:
            args["network_mode"] = "none"
            args["network_disabled"] = True
        return args

    def _run(self, argv: list[str], cancel: CancelToken | None) -> ProcessOutcome:
        from docker.errors import APIError

        client = self.client()
        outcome = ProcessOutcome(returncode=0, output=b"", total_bytes=0)
        try:
            container = client.containers.create(**self._container_args(argv))
        except APIError as exc:
            raise CodeExecutionError(
                f"the engine at {self.base_url} would not create a container from "
                f"{self.image}: {exc.explanation or exc}"
            ) from exc

        def on_cancel() -> None:
            outcome.cancelled = True
            try:
                container.kill()
            except Exception:  # not running yet, or already stopped
                pass

        remove = cancel.on_cancel(on_cancel) if cancel is not None else (lambda: None)
        reader: threading.Thread | None = None
        try:
            if not outcome.cancelled:
                try:
                    container.start()
                except APIError as exc:
                    raise CodeExecutionError(
                        f"the engine at {self.base_url} would not start a container from "
                        f"{self.image}: {exc.explanation or exc}") from exc
                reader = threading.Thread(target=self._read_logs, args=(container, outcome),
                                          name="container-logs", daemon=True)
                reader.start()
                outcome.returncode = self._wait(container, outcome)
            if reader is not None:
                reader.join(10)
            return outcome
        finally:
            remove()
            try:
                container.remove(force=True, v=True)
            except Exception:  # removed already (the engine may auto-remove killed containers)
                pass

    def _read_logs(self, container: Any, outcome: ProcessOutcome) -> None:
        """Follow the container's output: keep the first part, stop it past the cap."""
        keep = self.output_limit + 1
        kept: list[bytes] = []
        size = 0
        try:
            for chunk in container.logs(stdout=True, stderr=True, stream=True, follow=True):
                if size < keep:
                    kept.append(chunk[: keep - size])
                    size += len(kept[-1])
                    # kept as it comes: a log stream that lingers past the container's exit
                    # (Podman, a loaded machine) must not leave the run without its output
                    outcome.output = b"".join(kept)
                outcome.total_bytes += len(chunk)
                if outcome.total_bytes > self.max_output_bytes and not outcome.overflowed:
                    outcome.overflowed = True
                    try:
                        container.kill()
                    except Exception:  # it stopped meanwhile
                        pass
        except Exception:  # the stream ends with an error when the container is removed
            pass
        finally:
            outcome.output = b"".join(kept)

    @staticmethod
    def _exit_code(container: Any, status: dict[str, Any]) -> int:
        """The exit code from the container's own record, once it says "exited": a wait
        answer can race the exit (Podman), and its logs are complete only after it."""
        settle = time.monotonic() + 3.0
        while True:
            try:
                container.reload()
                state = container.attrs.get("State") or {}
            except Exception:
                return int(status.get("StatusCode", 1))
            if state.get("Status") in ("exited", "stopped", "dead") or time.monotonic() > settle:
                return int(state.get("ExitCode", status.get("StatusCode", 1)))
            time.sleep(0.05)

    def _wait(self, container: Any, outcome: ProcessOutcome) -> int:
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or outcome.cancelled:
                break
            watched = self.resources.disk is not None and self.resources.disk.mode == "watched"
            try:
                status = container.wait(timeout=max(1, math.ceil(min(remaining, 1 if watched else 5))))
            except Exception:  # read timeout: still running
                if (reason := self.resources.check()) and not outcome.note:
                    outcome.note = reason
                    with contextlib.suppress(Exception):
                        container.kill()
                continue
            return self._exit_code(container, status)
        if not outcome.cancelled:
            outcome.timed_out = True
        try:
            container.kill()
        except Exception:
            pass
        return 137
