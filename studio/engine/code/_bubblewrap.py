"""The bubblewrap sandbox: the command line, and a one-time check that it works here.

Two ways to get an unprivileged user id:

- run by root (CI, containers): bubblewrap runs privileged, without a user namespace, and
  ``setpriv`` switches to uid/gid 65534 (nobody) inside. The code then really is ``nobody`` on
  the host: it cannot read root's files, and the process-count limit holds.
- run by anybody else: bubblewrap makes a user namespace and maps the user to uid 65534 inside.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
_HIDDEN = ("/root", "/home")  # home dirs: ~/.ssh, cloud credentials, shell history...
_PRIVATE_TMPFS = ("/tmp", "/var/tmp", "/run")  # /run: host sockets (Docker, Podman, D-Bus)


@dataclass(frozen=True)
class BwrapSetup:
    bwrap: str
    setpriv: str | None  # set when running as root: drop to nobody with setpriv

    @property
    def drops_to_nobody(self) -> bool:
        return self.setpriv is not None


def find_setup() -> BwrapSetup | None:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
    return BwrapSetup(bwrap=bwrap, setpriv=setpriv)


def _hidden_dirs() -> list[str]:
    hidden = list(_HIDDEN)
    home = os.path.realpath(os.path.expanduser("~"))
    if home != "/" and not any(home == h or home.startswith(h + "/") for h in hidden + list(_PRIVATE_TMPFS)):
        hidden.append(home)
    return [h for h in hidden if os.path.isdir(h)]


def _under(path: str, dirs: Iterable[str]) -> bool:
    return any(path == d or path.startswith(d + "/") for d in dirs)


@functools.lru_cache(maxsize=8)
def interpreter_dirs(python: str) -> tuple[str, ...]:
    """The folders the interpreter needs, wherever they live: its prefixes (a venv and the
    Python it was made from) and the directories on its ``sys.path``.

    Asked of the interpreter itself, once (``-I``: no PYTHONPATH, no user site, no cwd).
    """
    dirs = {str(Path(python).absolute().parent), str(Path(python).resolve().parent)}
    script = ("import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix,"
              " sys.base_exec_prefix, *sys.path]))")
    try:
        done = subprocess.run([python, "-I", "-c", script], capture_output=True, text=True,
                              timeout=30, env={"PATH": "/usr/bin:/bin"})
        dirs.update(p for p in json.loads(done.stdout) if isinstance(p, str) and p)
    except (OSError, ValueError, subprocess.SubprocessError):
        dirs.update({sys.prefix, sys.base_prefix, sys.exec_prefix})
    found = set()
    for d in dirs:
        real = os.path.realpath(d)
        if os.path.isdir(real) and real != "/":
            found.add(real)
    return tuple(sorted(d for d in found if not _under(d, found - {d})))


def _parents(path: str, tmpfs_roots: Iterable[str]) -> list[str]:
    """``--dir`` options making the parents of ``path`` inside a tmpfs traversable (0755)."""
    root = next((r for r in tmpfs_roots if path.startswith(r + "/")), None)
    if root is None:
        return []
    args: list[str] = []
    current = root
    for part in Path(path).relative_to(root).parts[:-1]:
        current = f"{current}/{part}"
        args += ["--perms", "0755", "--dir", current]
    return args


def bwrap_argv(
    setup: BwrapSetup, work_dir: Path, command: list[str], *, python: str, tmp_size_mb: int
) -> list[str]:
    """The full command line running ``command`` in the sandbox, cwd = ``work_dir``."""
    hidden = _hidden_dirs()
    work = str(work_dir)
    argv = [setup.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in _PRIVATE_TMPFS:
        if os.path.isdir(path):
            size = tmp_size_mb if path != "/run" else 1
            argv += ["--perms", "1777", "--size", str(size * 1024 * 1024), "--tmpfs", path]
    for path in hidden:
        argv += ["--perms", "0755", "--size", str(1024 * 1024), "--tmpfs", path]
    tmpfs_roots = [*_PRIVATE_TMPFS, *hidden]
    for path in interpreter_dirs(python):
        if _under(path, tmpfs_roots) and not _under(work, [path]):
            argv += [*_parents(path, tmpfs_roots), "--ro-bind", path, path]
    argv += [*_parents(work, tmpfs_roots), "--bind", work, work, "--chdir", work]
    argv += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if setup.setpriv is not None:
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        argv += ["--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        argv += ["--", setup.setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    else:
        argv += ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    return [*argv, "--", *command]


def _try(setup: BwrapSetup, python: str, command: list[str]) -> str | None:
    """Run ``command`` in a throw-away sandbox; None when it wrote its marker file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="roundtable-probe-") as tmp:
        if setup.drops_to_nobody:
            os.chown(tmp, NOBODY, NOBODY)
        argv = bwrap_argv(setup, Path(tmp), command, python=python, tmp_size_mb=1)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=20, cwd=tmp)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        if done.returncode != 0 or not (Path(tmp) / "ok").exists():
            return (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
    return None


@functools.lru_cache(maxsize=8)
def probe(setup: BwrapSetup, python: str) -> str | None:
    """None when code runs in the sandbox here, else a sentence saying what does not work:
    bubblewrap itself, or the interpreter inside it (each with the underlying message)."""
    problem = _try(setup, python, [python, "-c", "open('ok','w').write('1')"])
    if problem is None:
        return None
    if _try(setup, python, ["/bin/sh", "-c", "echo 1 > ok"]) is None:
        return (f"bubblewrap works, but the Python interpreter {python} does not run inside "
                f"the sandbox: {problem}")
    return f"bubblewrap does not start here: {problem}"
