"""compose.yaml and its proxy: what the README promises is what the file starts (no registry
here, so the file is checked, and the image it builds is tested in test_container.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_starts_postgres_redis_two_workers_and_two_studios_behind_one_address():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "studio1", "studio2", "worker1", "worker2", "proxy"} <= set(services)
    app = [services[name] for name in ("studio1", "studio2", "worker1", "worker2")]
    for service in app:
        env = service["environment"]
        assert env["ROUNDTABLE_BROKER_URL"].startswith("redis://redis:")
        assert env["ROUNDTABLE_DB_URL"].startswith("postgresql+psycopg2://")
        assert "@postgres:5432/" in env["ROUNDTABLE_DB_URL"]
        assert service["build"]["context"] == "." and "BASE" in service["build"]["args"]
        assert set(service["depends_on"]) == {"postgres", "redis"}
    assert [s["command"][:2] for s in app] == [["roundtable", "ui"]] * 2 + [["roundtable", "worker"]] * 2
    # stored keys are encrypted: studios and workers (any host) share one key, required
    keys = {service["environment"].get("ROUNDTABLE_SECRET_KEY") for service in app}
    assert len(keys) == 1 and next(iter(keys)).startswith("${ROUNDTABLE_SECRET_KEY:?"), keys
    for name in ("studio1", "studio2"):  # a shared studio starts with its first administrator
        env = services[name]["environment"]
        assert env["ROUNDTABLE_ADMIN"].startswith("${ROUNDTABLE_ADMIN")
        assert env["ROUNDTABLE_ADMIN_PASSWORD"].startswith("${ROUNDTABLE_ADMIN_PASSWORD:?")
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Growing past one process", 1)[1].split("\n## ", 1)[0]
    for variable in ("ROUNDTABLE_SECRET_KEY", "ROUNDTABLE_ADMIN_PASSWORD", "ROUNDTABLE_ADMIN"):
        assert variable in section, f"the README's deployment section names {variable}"
    assert "same one" in section
    assert services["proxy"]["ports"] == ["8080:80"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.findall(r"server (studio\d):8501", nginx) == ["studio1", "studio2"]
    assert "Upgrade $http_upgrade" in nginx  # Streamlit's websocket gets through
    # the browser's own address (port included) reaches the studio, which checks a sign-in's
    # cookie request against it (tests/app/test_session_cookie.py)
    assert "X-Forwarded-Host $http_host" in nginx and "X-Forwarded-Proto $scheme" in nginx
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE=" in dockerfile and "FROM ${BASE}" in dockerfile
