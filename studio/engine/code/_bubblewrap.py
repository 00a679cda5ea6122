"""The bubblewrap sandbox: the command line, and a one-time check that it works here.

The sandbox starts from an empty root and sees only an allow-list: the system's programs and
libraries (``/usr`` and the ``/bin``, ``/lib``... links into it), a few files of ``/etc``
(users, time zone, certificates, the loader cache), the interpreter's own folders wherever
they live, and the run's work dir (the only writable place besides a small private ``/tmp``).
Home folders, ``/data``, ``/var``, ``/run``, the studio's data dir, other runs' folders and
whatever else the host holds simply do not exist inside.

Two ways to get an unprivileged user id:

- run by root (CI, containers): bubblewrap runs privileged, without a user namespace, and
  ``setpriv`` switches to uid/gid 65534 (nobody) inside. The code then really is ``nobody`` on
  the host.
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
# Top-level links and folders of the system's programs and libraries (merged /usr or not).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What programs read from /etc; nothing else of it (no credentials, no host configuration).
_ETC = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
    "passwd", "group", "nsswitch.conf", "host.conf", "hosts", "gai.conf", "protocols",
    "services", "ssl", "ca-certificates", "ca-certificates.conf", "pki", "crypto-policies",
    "mime.types", "magic", "magic.mime", "os-release", "debian_version", "lsb-release",
    "locale.alias", "fonts", "matplotlibrc", "python3", "pythonrc",
)
# Never bound whole, even when an interpreter reports them: they hold other people's data.
_TOO_WIDE = frozenset({"/", "/home", "/root", "/tmp", "/var", "/var/tmp", "/run", "/data",
                       "/srv", "/mnt", "/media", "/opt", "/etc"})


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


def _under(path: str, dirs: Iterable[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _home_dirs() -> set[str]:
    homes = {"/root", os.path.realpath(os.path.expanduser("~"))}
    if os.path.isdir("/home"):
        homes.update(os.path.join("/home", name) for name in os.listdir("/home"))
    return homes


@functools.lru_cache(maxsize=8)
def interpreter_dirs(python: str) -> tuple[str, ...]:
    """The folders the interpreter needs, wherever they live: its prefixes (a venv and the
    Python it was made from) and the directories on its ``sys.path``.

    Asked of the interpreter itself, once (``-I``: no PYTHONPATH, no user site, no cwd).
    A folder that would expose much more than Python (``/``, a home folder, ``/tmp``) is
    replaced by its ``bin``, ``lib`` and ``lib64`` subfolders.
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
    too_wide = _TOO_WIDE | _home_dirs()
    found: set[str] = set()
    for d in dirs:
        real = os.path.realpath(d)
        if real in too_wide:
            found.update(os.path.join(real, sub) for sub in ("bin", "lib", "lib64")
                         if os.path.isdir(os.path.join(real, sub)))
        elif os.path.isdir(real) and not _under(real, _SYSTEM):
            found.add(real)
    return tuple(sorted(d for d in found if not _under(d, found - {d})))


def _parents(path: str) -> list[str]:
    """``--dir`` options making every parent of ``path`` traversable (0755) in the new root."""
    args: list[str] = []
    current = ""
    for part in Path(path).parts[1:-1]:
        current = f"{current}/{part}"
        args += ["--perms", "0755", "--dir", current]
    return args


def _system_args() -> list[str]:
    argv: list[str] = []
    for path in _SYSTEM:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    argv += ["--perms", "0755", "--dir", "/etc"]
    for name in _ETC:
        path = f"/etc/{name}"
        if os.path.lexists(path):
            argv += ["--ro-bind-try", path, path]
    return argv


def bwrap_argv(
    setup: BwrapSetup, work_dir: Path, command: list[str], *, python: str, tmp_size_mb: int
) -> list[str]:
    """The full command line running ``command`` in the sandbox, cwd = ``work_dir``."""
    work = str(work_dir)
    tmp_bytes = str(tmp_size_mb * 1024 * 1024)
    argv = [setup.bwrap, *_system_args()]
    argv += ["--dev", "/dev", "--proc", "/proc"]
    argv += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/tmp"]
    argv += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/dev/shm"]
    argv += ["--perms", "0755", "--dir", "/var", "--symlink", "../tmp", "/var/tmp"]
    for path in interpreter_dirs(python):
        if not _under(work, [path]):
            argv += [*_parents(path), "--ro-bind", path, path]
    argv += [*_parents(work), "--bind", work, work, "--chdir", work]
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
