"""The sandbox sees only what it needs: the studio's data dir (wherever it is, /data included),
other runs' folders and the host's environment are invisible from every executor, for root
and for an ordinary user whose database file is private to them (mode 600)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from .conftest import make_hostile, release

pytestmark = pytest.mark.sandbox

ROOT = Path(__file__).resolve().parents[2]
OTHER_UID = 4242

# Hostile code: given paths to read and folders to list, report what it could see.
PROBE = """
import json, os, sys
targets = json.loads(sys.argv[1])
seen = {}
for path in targets["read"]:
    try:
        with open(path, "rb") as fh:
            seen[path] = "READ " + fh.read(200).decode("utf-8", "replace")
    except OSError as exc:
        seen[path] = "DENIED " + type(exc).__name__
for path in targets["list"]:
    try:
        seen[path] = "LISTED " + " ".join(sorted(os.listdir(path)))
    except OSError as exc:
        seen[path] = "DENIED " + type(exc).__name__
seen["environ"] = " ".join(f"{k}={v}" for k, v in os.environ.items())
print("PROBE " + json.dumps(seen))
"""


def fake_data_dir(root: Path, owner: int | None = None) -> dict[str, Path]:
    """A studio data dir: a private database holding a key, and two runs' folders."""
    canary = f"sk-canary-{uuid.uuid4().hex}"
    runs = root / "runs"
    mine, other = runs / uuid.uuid4().hex, runs / uuid.uuid4().hex
    mine.mkdir(parents=True)
    other.mkdir()
    db = root / "roundtable.db"
    db.write_text(f"SQLite format 3 ... secret.value={canary}")
    (other / "report.txt").write_text(f"another person's run {canary}")
    if owner is not None:
        for path in (root, runs, mine, other, db, other / "report.txt", root.parent):
            os.chown(path, owner, owner)
    db.chmod(0o600)
    return {"root": root, "db": db, "mine": mine, "other": other, "canary": Path(canary)}


def probe_targets(layouts: list[dict[str, Path]]) -> dict[str, list[str]]:
    read, listed = [], ["..", "/data", os.path.expanduser("~/.local/share")]
    for layout in layouts:
        read += [str(layout["db"]), str(layout["other"] / "report.txt")]
        listed += [str(layout["root"]), str(layout["root"] / "runs")]
    return {"read": read, "list": listed}


def parse(output: str) -> dict[str, str]:
    line = next(line for line in output.splitlines() if line.startswith("PROBE "))
    return json.loads(line[len("PROBE "):])


def assert_nothing_leaked(seen: dict[str, str], layouts: list[dict[str, Path]]) -> None:
    for layout in layouts:
        canary = str(layout["canary"])
        assert not any(canary in text for text in seen.values()), seen
        assert seen[str(layout["db"])].startswith("DENIED"), seen
        runs = seen[str(layout["root"] / "runs")]  # at most the path to the run's own folder
        assert runs.startswith("DENIED") or runs == f"LISTED {layout['mine'].name}", seen
        assert not any(layout["other"].name in text for text in seen.values()), seen
    assert not any(v.startswith("READ") for v in seen.values()), seen


@pytest.fixture
def data_dirs(tmp_path: Path):
    """The three places a data dir lives: /data (the Dockerfile), the default under the home
    folder, and one named by $ROUNDTABLE_DATA_DIR. Unique names; removed afterwards."""
    made_data = not os.path.exists("/data")
    os.makedirs("/data", exist_ok=True)
    tag = uuid.uuid4().hex[:10]
    roots = [Path("/data") / f"roundtable-test-{tag}",
             Path.home() / ".local" / "share" / f"roundtable-test-{tag}",
             tmp_path / "data-dir"]
    try:
        yield [fake_data_dir(root) for root in roots]
    finally:
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)
        if made_data:
            try:
                os.rmdir("/data")
            except OSError:  # another test's files are in it
                pass


@pytest.mark.parametrize("kind", ["bubblewrap", "docker"])
def test_data_dirs_and_other_runs_are_invisible(kind, data_dirs, request, run_label, monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(data_dirs[2]["root"]))
    monkeypatch.setenv("DB_URL", f"postgresql://user:{data_dirs[0]['canary']}@db/x")
    monkeypatch.setenv("SLACK_WEBHOOK", f"https://hooks.example/{data_dirs[1]['canary']}")
    work = data_dirs[0]["mine"]  # the run's folder inside /data/.../runs, as the studio does
    executor = make_hostile(kind, work, request, run_label)
    try:
        targets = json.dumps(probe_targets(data_dirs))
        code = f"import sys\nsys.argv[1:] = [{targets!r}]\n{PROBE}"
        (work / "probe.py").write_text(code)
        from studio.engine.code import CodeBlock

        result = executor.execute([CodeBlock(code, "python")])
        assert result.exit_code == 0, result.output
        seen = parse(result.output)
        assert_nothing_leaked(seen, data_dirs)
        assert "ROUNDTABLE_DATA_DIR" not in seen["environ"]
        assert "probe.py" in os.listdir(work)  # its own folder works as usual
    finally:
        release(executor, run_label)


def _as_other_user(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with this interpreter and project as uid 4242. When they live under
    /root (mode 700: pyenv, a venv), a private mount namespace shows just them there."""
    under_root = sorted({p for p in (sys.prefix, sys.base_prefix, str(ROOT))
                         if p.startswith("/root/")})
    view = Path(tempfile.mkdtemp(prefix="rt-nonroot-", dir="/tmp"))
    steps = []
    for index, path in enumerate(under_root):
        (view / str(index)).mkdir()
        steps.append(f"mount --bind '{path}' '{view / str(index)}'")
    if under_root:
        steps.append("mount -t tmpfs -o mode=0755 tmpfs /root")
    for index, path in enumerate(under_root):
        steps.append(f"mkdir -p '{path}' && mount --bind '{view / str(index)}' '{path}'")
    steps.append(f'exec setpriv --reuid={OTHER_UID} --regid={OTHER_UID} --clear-groups "$@"')
    try:
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             "set -e; " + "; ".join(steps), "sh", sys.executable, "-c", script],
            cwd=str(home), env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"},
            capture_output=True, text=True, timeout=180)
    finally:
        shutil.rmtree(view, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
def test_an_ordinary_users_private_database_is_invisible(bwrap_ready):
    home = Path(tempfile.mkdtemp(prefix="rt-home-", dir="/tmp"))
    try:
        os.chown(home, OTHER_UID, OTHER_UID)
        home.chmod(0o700)
        (home / ".local" / "share").mkdir(parents=True)
        layout = fake_data_dir(home / ".local" / "share" / "roundtable", owner=OTHER_UID)
        os.chown(home / ".local", OTHER_UID, OTHER_UID)
        targets = json.dumps(probe_targets([layout]))
        script = (
            "import json\n"
            "from studio.engine.code import CodeBlock, LocalExecutor\n"
            f"ex = LocalExecutor(sandbox='bubblewrap', work_dir={str(layout['mine'])!r})\n"
            f"code = 'import sys\\nsys.argv[1:] = [' + repr({targets!r}) + ']\\n' + {PROBE!r}\n"
            "r = ex.execute([CodeBlock(code, 'python')])\n"
            "own = open(" + repr(str(layout["db"])) + ").read()\n"  # the user reads it, code not
            "print('RESULT ' + json.dumps({'exit': r.exit_code, 'out': r.output, "
            "'own': own, 'report': ex.limits_report, 'warning': ex.sandbox_warning}))\n"
            "ex.cleanup()\n"
        )
        done = _as_other_user(script, home)
        assert done.returncode == 0, done.stderr[-3000:]
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line[len("RESULT "):])
        assert str(layout["canary"]) in result["own"]  # the file really is readable by the user
        assert result["exit"] == 0, result["out"]
        assert_nothing_leaked(parse(result["out"]), [layout])
        # Without root there is no cgroup and no file system of the work dir's own: it says so.
        assert "per process only" in result["report"]["memory"]
        assert "measured every" in result["report"]["disk"]
        assert "limits:" in result["warning"] and "not for the whole run" in result["warning"]
    finally:
        shutil.rmtree(home, ignore_errors=True)
