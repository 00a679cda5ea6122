"""Models (add, mask, test against a loopback server, OAI_CONFIG_LIST) and History."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

import pytest

from studio.app._export import run_json, run_markdown
from studio.app._models import import_oai_config_list, parse_oai_config_list
from studio.spec import load_bundled_template
from studio.store import Actor
from tests.support.oai_server import OAIServer, text

LOCAL = Actor.local()

KEY = "sk-test-abcdefghijklmnop1234"


def _add(at, name: str, base_url: str, key: str = "") -> None:
    at.selectbox(key="model_preset").set_value("vllm").run()
    at.text_input(key="model_name").input(name)
    at.text_input(key="model_base_url").input(base_url)
    at.text_input(key="model_model").input("test-model")
    at.text_input(key="model_key_env").input("")
    at.text_input(key="model_key_value").input(key)
    at.button(key="FormSubmitter:add_model_form-Save model").click().run()
    assert not at.exception, at.exception


def test_added_model_keeps_its_key_masked_and_tests_ok(app, svc, texts) -> None:
    at = app("models")
    with OAIServer() as server:
        server.push(text("OK"))
        _add(at, "loop", server.base_url, KEY)
        config = svc.store.get_model_config(LOCAL, "loop")
        assert config.api_key_secret and svc.store.secret_for_use(LOCAL, config.api_key_secret,
                                                                  server.base_url) == KEY
        shown = texts(at)
        assert "Saved **loop**" in shown
        assert "...1234" in shown and KEY not in shown, "the key is shown masked only"
        assert all(KEY not in str(w.value) for w in at.text_input), "the form forgets the key"
        at.button(key="test_loop").click().run()
        assert "OK" in " ".join(s.body for s in at.success)
        assert server.requests, "the Test button sent a real request"
    choices = app("playground").selectbox(key="model_select").options
    assert any("loop" in c for c in choices), "the Playground offers the new model"


def test_failing_test_explains_what_to_fix(app, texts) -> None:
    at = app("models")
    _add(at, "down", "http://127.0.0.1:9/v1")
    at.button(key="test_down").click().run()
    errors = " ".join(e.body for e in at.error)
    assert "server running" in errors or "base URL" in errors, errors


def test_oai_config_list_import_stores_keys_as_secrets(svc) -> None:
    entries = parse_oai_config_list(json.dumps([
        {"model": "gpt-4o-mini", "api_key": KEY},
        {"model": "llama3.1", "base_url": "http://localhost:11434/v1"},
        {"model": "gpt-4o", "api_type": "azure", "base_url": "https://x.openai.azure.com",
         "api_version": "2024-06-01", "api_key": "another-secret-key"},
    ]))
    names = import_oai_config_list(svc.store, LOCAL, entries)
    assert names == ["gpt-4o-mini", "llama3.1", "gpt-4o"]
    ollama = svc.store.get_model_config(LOCAL, "llama3.1")
    assert ollama.provider == "ollama" and ollama.api_key_secret is None
    azure = svc.store.get_model_config(LOCAL, "gpt-4o")
    assert azure.api_type == "azure" and azure.api_version == "2024-06-01"
    assert svc.store.secret_for_use(LOCAL, svc.store.get_model_config(LOCAL, "gpt-4o-mini").api_key_secret, None) == KEY
    assert KEY not in json.dumps(svc.store.backup(LOCAL), default=str)
    for bad in ("not json", '{"api_key": "x"}', "[1]"):
        try:
            parse_oai_config_list(bad)
        except ValueError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
    bad_url = json.dumps([{"model": "a"}, {"model": "b", "base_url": "localhost 8000"}])
    with pytest.raises(ValueError, match=r"^Entry 2: base URL 'localhost 8000' is not a web "
                                         r"address .*http://localhost:8000/v1\.$"):
        parse_oai_config_list(bad_url)


def _finished_run(svc) -> str:
    spec = load_bundled_template("code_assistant")
    run_id = svc.manager.start(LOCAL, spec, spec.default_task, template_name=spec.name, human="never")
    assert svc.manager.get(LOCAL, run_id).wait(30)
    return run_id


def test_history_lists_a_finished_run_and_exports_it(app, svc, texts) -> None:
    run_id = _finished_run(svc)
    at = app("history")
    assert not at.exception, at.exception
    assert at.dataframe, "runs are listed in a table"
    assert at.selectbox(key="history_run_select").value == run_id
    assert len(at.chat_message) >= 3, "the whole transcript is shown"
    assert len(at.get("download_button")) >= 2, "Export Markdown and Export JSON"
    export = svc.store.export_run(LOCAL, run_id)
    markdown = run_markdown(export)
    assert markdown.startswith("# Code assistant") and "exit code 0" in markdown
    assert "1060" in markdown
    assert json.loads(run_json(export))["run"]["id"] == run_id


def test_the_run_picker_keeps_its_labels_when_the_run_being_read_ends(app, svc) -> None:
    """The browser reports the run picked by its label; had the label changed when the run
    ended (its status), it would no longer match, and the page would open the newest run."""
    spec = load_bundled_template("code_assistant")
    waiting = svc.manager.start(LOCAL, spec, spec.default_task, template_name=spec.name,
                                human="mailbox")
    handle = svc.manager.get(LOCAL, waiting)
    deadline = time.monotonic() + 30
    while handle.pending is None and time.monotonic() < deadline:
        handle.wait_for_events(handle.last_seq, timeout=0.5)
    assert handle.pending is not None, "the run asks the person"
    _finished_run(svc)  # the newest run is another one
    at = app("history")
    at.selectbox(key="history_run_select").set_value(waiting).run()
    labels = list(at.selectbox(key="history_run_select").options)
    svc.manager.stop(LOCAL, waiting)
    assert handle.wait(30)
    at.run()
    assert not at.exception, at.exception
    assert list(at.selectbox(key="history_run_select").options) == labels
    assert at.selectbox(key="history_run_select").value == waiting


def test_two_runs_alike_can_each_be_opened(app, svc) -> None:
    """A run and its rerun in the same minute: same template, task and model. The browser
    reports a pick by its label, so two equal labels opened the first run whichever was
    picked."""
    first, second = _finished_run(svc), _finished_run(svc)
    with svc.store.engine.begin() as conn:  # the same minute, whatever the clock did
        conn.exec_driver_sql("UPDATE run SET started_at = 1796150000.0")
    at = app("history")
    picker = at.selectbox(key="history_run_select")
    assert len(set(picker.options)) == len(picker.options) == 2
    for run_id in (second, first, second):
        at.selectbox(key="history_run_select").set_value(run_id).run()
        assert not at.exception, at.exception
        assert at.selectbox(key="history_run_select").value == run_id
        assert at.session_state["history_run_select"] == run_id


def test_history_filters_and_deletes_a_run(app, svc) -> None:
    run_id = _finished_run(svc)
    work_dir = Path(svc.store.get_run(LOCAL, run_id).work_dir)
    assert work_dir.is_dir()
    at = app("history")
    at.selectbox(key="history_status").set_value("cancelled").run()
    assert not at.chat_message and "No run matches" in " ".join(i.body for i in at.info)
    at.selectbox(key="history_status").set_value("all").run()
    at.button(key="delete_run_confirm").click().run()
    assert not at.exception
    assert svc.store.count_runs(LOCAL) == 0 and not work_dir.exists()
    assert "No runs yet" in " ".join(i.body for i in at.info)


def test_interrupted_runs_are_marked(app, svc, texts) -> None:
    run_id = svc.store.create_run(LOCAL, "Ghost", {"name": "Ghost"}, "a task", "demo")
    svc.store.finish_run(run_id, "interrupted", "the server stopped while the run was going")
    at = app("history")
    assert not at.exception
    assert "interrupted" in texts(at)


def test_a_run_lost_from_the_workers_queue_says_why(app, svc) -> None:
    from studio.runs._sweep import LOST_REASON

    run_id = svc.store.create_run(LOCAL, "Ghost", {"name": "Ghost"}, "a task", mode="celery")
    assert svc.store.interrupt_lost_run(run_id, LOST_REASON)["seq"] == 1
    at = app("history")
    assert not at.exception, at.exception
    warned = " ".join(w.body for w in at.warning)
    assert f"This run was **interrupted**: {LOST_REASON}." in warned
    assert "server stopped while" not in warned.split("This run was")[1]
    # the transcript ends saying so too
    assert any(LOST_REASON in w.body and "The run ended" in w.body for w in at.warning)


def test_history_status_column_shows_whole_words(app, svc) -> None:
    """The status column is a table cell: a short label ("⚠️ Interrupted") that fits, with
    the explanation said once under the table, not clipped mid-word in every row."""
    run_id = svc.store.create_run(LOCAL, "Ghost", {"name": "Ghost"}, "a task", "demo")
    svc.store.finish_run(run_id, "interrupted", "the server stopped while the run was going")
    at = app("history")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["status"]) == ["⚠️ Interrupted"]
    assert all(len(label) <= 18 for label in table["status"])
    assert at.selectbox(key="history_status").format_func("interrupted") == "⚠️ Interrupted"
    assert any("interrupted" in w.body and "server stopped" in w.body for w in at.warning)


def test_an_interrupted_run_does_not_say_someone_is_speaking(app, svc) -> None:
    spec = load_bundled_template("human_in_the_loop")
    run_id = svc.store.create_run(LOCAL, spec.name, spec.to_dict(), "a task", "demo")
    message = {"type": "message", "seq": 1, "chat_id": "c1", "depth": 0, "time": 0.0,
               "sender": "assistant", "recipient": "you",
               "message": {"role": "assistant", "content": "A first draft.", "name": "assistant"}}
    svc.store.append_event(run_id, 1, "message", message, chat_id="c1", sender="assistant",
                           recipient="you", role="assistant", content="A first draft.")
    svc.store.finish_run(run_id, "interrupted", "the server stopped while the run was going")
    at = app("history")
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "is speaking" not in captions
    assert "Interrupted" in captions and "assistant" in captions


def test_a_models_price_is_set_on_the_models_page_and_cleared(app, svc, texts) -> None:
    at = app("models")
    _add(at, "gpt", "http://127.0.0.1:9/v1")
    svc.store.save_model_config(LOCAL, dataclasses.replace(svc.store.get_model_config(LOCAL, "gpt"),
                                                    model="gpt-4o-mini"))
    at = app("models")
    assert any(e.label == "Price: $0.15 in / $0.6 out per 1M tokens (the studio's price list)"
               for e in at.expander)
    at.number_input(key="price_in_gpt").set_value(1.5)
    at.number_input(key="price_out_gpt").set_value(6.0)
    at.button(key="FormSubmitter:price_form_gpt-Save the price").click().run()
    assert not at.exception, at.exception
    assert svc.store.get_model_config(LOCAL, "gpt").price == (1.5, 6.0)
    assert svc.registry_for(LOCAL).models["gpt"].price == (1.5, 6.0), "new runs use it"
    assert "$1.5 in / $6 out per 1M tokens (your price)" in texts(at)
    at.button(key="price_clear_gpt").click().run()
    assert svc.store.get_model_config(LOCAL, "gpt").price is None


def test_a_runs_cost_and_activity_are_charted_per_agent(app, svc) -> None:
    from studio.app._transcript import Transcript
    from studio.app.widgets.usage_charts import activity

    spec = load_bundled_template("planning_group")
    run_id = svc.manager.start(LOCAL, spec, spec.default_task, template_name=spec.name, human="never")
    assert svc.manager.get(LOCAL, run_id).wait(60)
    tx = Transcript()
    tx.feed(svc.manager.transcript(LOCAL, run_id))
    data = activity(tx, svc.store.get_run(LOCAL, run_id).usage)
    assert [p["message"] for p in data["running"]] == list(range(1, tx.messages + 1))
    assert data["running"][-1]["tokens"] == sum(p["tokens"] for p in tx.timeline) > 0
    rows = {r["agent"]: r for r in data["agents"]}
    assert rows["coder"]["messages"] == 1 and rows["coder"]["tokens"] > 0
    assert rows["critic"]["words"] > 10
    at = app("history")
    assert any("Cost and activity per agent" in e.label for e in at.expander)
    captions = " ".join(c.value for c in at.caption)
    assert "the Demo model costs nothing" in captions, "no price to set for the Demo model"
    assert "set one on the Models page" not in captions


def _long_run(svc, count: int) -> str:  # noqa: ANN001
    store = svc.store
    run_id = store.create_run(LOCAL, "Long talk", {}, "Talk a lot.", "Demo model (offline)")
    for seq in range(1, count + 1):
        text = f"Message number {seq}."
        store.append_event(run_id, seq, "message", {
            "type": "message", "sender": "a", "recipient": "b", "chat_id": "c", "depth": 0,
            "message": {"role": "assistant", "content": text, "name": "a"}, "seq": seq},
            chat_id="c", sender="a", recipient="b", role="assistant", content=text)
    store.finish_run(run_id, "finished", "max turns", "", {"total_tokens": 0, "cost": 0.0})
    return run_id


def shown_messages(at) -> list[int]:  # noqa: ANN001
    numbers = []
    for message in at.chat_message:
        for block in message.markdown:
            found = re.search(r"Message number (\d+)\.", block.value)
            if found:
                numbers.append(int(found.group(1)))
    return numbers


def test_a_long_transcript_opens_on_a_whole_page_of_the_newest_and_pages_back(app, svc) -> None:
    _long_run(svc, 100)
    at = app("history")
    assert shown_messages(at) == list(range(61, 101)), "the newest page is a whole page"
    for expected in (range(21, 61), range(1, 41)):
        next(b for b in at.button if b.key and b.key.startswith("tx_prev_top")).click().run()
        assert shown_messages(at) == list(expected)
    next(b for b in at.button if b.key and b.key.startswith("tx_next_top")).click().run()
    assert shown_messages(at) == list(range(41, 81))
    next(b for b in at.button if b.key and b.key.startswith("tx_next_top")).click().run()
    assert shown_messages(at) == list(range(61, 101))
