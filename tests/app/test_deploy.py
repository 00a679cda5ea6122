"""The Deploy page (administrators): running services with working examples, API keys made
once and revoked; History says where each run came from."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from studio.runs import SERVE_INSTANCES
from studio.store import Actor

LOCAL = Actor.local()


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _service(url: str) -> dict:
    return {"url": url, "host": "127.0.0.1", "port": int(url.rsplit(":", 1)[1]), "pid": 1,
            "started_at": 1_700_000_000.0, "keys_required": True,
            "templates": [{"name": "writer_with_critic", "title": "Writer with a nested critic",
                           "models": ["template", "demo"]}]}


def test_keys_are_shown_once_listed_and_revoked(app, svc, texts) -> None:
    at = app("deploy")
    assert not at.exception, at.exception
    assert "No `roundtable serve` is running" in texts(at)
    at.text_input(key="deploy_key_name").input("demo page")
    at.number_input(key="deploy_key_limit").set_value(30)
    at.button(key="FormSubmitter:deploy_key_form-Create key").click().run()
    assert not at.exception, at.exception
    assert "Copy it now: it is never shown again" in texts(at)
    key = next(c.value for c in at.code if c.value.startswith("rt_"))
    found = svc.store.api_key_for(key)
    assert found is not None and (found.name, found.rate_limit) == ("demo page", 30)
    table = at.dataframe[0].value
    assert list(table["name"]) == ["demo page"] and key not in table.to_string()

    at.run()  # the key is shown once: gone on the next run of the page
    assert not any(c.value == key for c in at.code)
    at.button(key="deploy_revoke").click().run()
    assert "is revoked" in texts(at)
    assert svc.store.api_key_for(key) is None
    assert "revoked" in at.dataframe[0].value["status"][0]

    at.button(key="FormSubmitter:deploy_key_form-Create key").click().run()  # no name
    assert "give the key a name" in " ".join(e.body for e in at.error)


def test_running_services_show_their_templates_with_examples(app, svc, texts) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        up = f"http://127.0.0.1:{server.server_address[1]}"
        svc.store.set_setting(LOCAL, SERVE_INSTANCES, {"a": _service(up),
                                                       "b": _service("http://127.0.0.1:9")})
        at = app("deploy")
        assert not at.exception, at.exception
        shown = texts(at)
        assert f"**{up}** — answering" in shown
        assert "**http://127.0.0.1:9** — not answering" in shown
        examples = "\n".join(c.value for c in at.code)
        assert f"curl -s {up}/api/templates/writer_with_critic/runs" in examples
        assert f"base_url='{up}/v1'" in examples and "YOUR_API_KEY" in examples
        assert "roundtable serve brainstorm" in examples  # how to start one more
    finally:
        server.shutdown()
        server.server_close()


def test_history_says_where_each_run_came_from(app, svc) -> None:
    record, _key = svc.store.create_api_key(LOCAL, "nightly script")
    svc.store.create_run(LOCAL, "Essay", {}, "Write", source="api", api_key_id=record.id)
    svc.store.create_run(LOCAL, "Essay", {}, "Write", source="cli")
    at = app("history")
    assert not at.exception, at.exception
    sources = set(at.dataframe[0].value["from"])
    assert sources == {"API (key nightly script)", "Command line"}
