"""`roundtable ui` in shared mode refuses to start without an administrator; `roundtable
admin` makes one (from a pipe, an environment variable or a terminal) and lists people."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

from studio.store import Store

from .conftest import ROOT, cli_command, cli_env

PASSWORD = "teacher password 1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_shared_mode_refuses_to_start_without_an_administrator(roundtable):
    for args in (["--shared"], ["--host", "0.0.0.0"]):
        result = roundtable("ui", "--port", str(_free_port()), *args, timeout=60)
        assert result.returncode == 1
        (line,) = result.stderr.strip().splitlines()
        assert "shared mode needs an administrator first" in line
        assert "roundtable admin create NAME" in line
    assert "lets other machines in" in result.stderr


def test_admin_create_from_a_pipe_then_list_and_password(roundtable, data_dir):
    made = roundtable("admin", "create", "teacher", input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "Created the administrator 'teacher'" in made.stdout
    member = roundtable("admin", "create", "ann", "--member", input="short\n")
    assert member.returncode == 1 and "at least 8 characters" in member.stderr
    listed = roundtable("admin", "list")
    assert listed.stdout.split()[:2] == ["teacher", "admin"]
    changed = roundtable("admin", "password", "teacher", input="another password\n")
    assert changed.returncode == 0, changed.stderr
    store = Store.open(data_dir=data_dir)
    assert store.sign_in("teacher", "another password").role == "admin"
    assert PASSWORD not in made.stdout + made.stderr


def test_a_container_gets_its_administrator_from_the_environment(data_dir):
    """The Dockerfile path: `ui --host 0.0.0.0` with ROUNDTABLE_ADMIN(_PASSWORD) starts shared."""
    port = _free_port()
    env = dict(cli_env(), ROUNDTABLE_ADMIN="teacher", ROUNDTABLE_ADMIN_PASSWORD=PASSWORD)
    process = subprocess.Popen(
        cli_command("ui", "--host", "0.0.0.0", "--port", str(port), "--data-dir", str(data_dir)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
        start_new_session=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline() + process.stdout.readline()
        assert "Created the administrator 'teacher'" in banner and "shared" in banner
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, "the studio exited"
                assert time.monotonic() < deadline, "the studio did not answer"
                time.sleep(0.2)  # polling the health endpoint until the server answers
        with open(f"/proc/{process.pid}/environ", "rb") as handle:
            environ = handle.read()
        assert PASSWORD.encode() not in environ, "the server process never holds the password"
        assert b"ROUNDTABLE_MODE=shared" in environ
    finally:
        os.killpg(process.pid, 15)
        process.wait(10)
    assert Store.open(data_dir=data_dir).has_admin()


def test_single_sign_on_options_say_what_is_missing(roundtable):
    port = str(_free_port())
    personal = roundtable("ui", "--port", port, "--sso-issuer", "http://127.0.0.1:9",
                          "--sso-client-id", "x")
    assert personal.returncode == 2 and "for shared mode: add --shared" in personal.stderr
    roundtable("admin", "create", "teacher", input=PASSWORD + "\n")
    half = roundtable("ui", "--port", port, "--shared", "--sso-issuer", "http://127.0.0.1:9")
    assert half.returncode == 2 and "both --sso-issuer and --sso-client-id" in half.stderr
    no_secret = roundtable("ui", "--port", port, "--shared", "--sso-issuer",
                           "http://127.0.0.1:9", "--sso-client-id", "x")
    assert no_secret.returncode == 2 and "$ROUNDTABLE_SSO_CLIENT_SECRET" in no_secret.stderr
