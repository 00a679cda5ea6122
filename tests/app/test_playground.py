"""Playground: a demo run streams into chat messages; the human steps in, pauses, stops."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from studio.store import Actor

LOCAL = Actor.local()


def _start(at: AppTest, template: str) -> str:
    at.selectbox(key="template_select").set_value(template).run()
    at.button(key="run_button").click().run()
    assert not at.exception, at.exception
    return _shown_run(at)


def _ended_run(at: AppTest, svc, template: str) -> str:  # noqa: ANN001 - Services
    """Start ``template`` from the Playground, wait for its end and redraw the page."""
    run_id = _start(at, template)
    assert svc.manager.get(LOCAL, run_id).wait(60)
    at.run()
    return run_id


def _shown_run(at: AppTest) -> str:
    """The run the page shows (its id is in the URL)."""
    run_id = at.query_params["run"]
    return run_id[0] if isinstance(run_id, list) else run_id


def test_demo_run_shows_messages_code_card_and_its_end(app, svc, wait_until, texts) -> None:
    at = app("playground")
    run_id = _start(at, "code_assistant")
    handle = svc.manager.get(LOCAL, run_id)
    # the user proxy asks the human on the assistant's TERMINATE
    wait_until(lambda: handle.status == "waiting", what="the question to the human")
    at.run()
    assert not at.exception
    senders = [m.name for m in at.chat_message]
    assert "assistant" in senders and "user" in senders
    assert any("Ran python" in e.label for e in at.expander), "the code run is a folded card"
    assert "Your turn" in texts(at)
    assert at.chat_input(key="interject_input") is not None, "the chat box is there while live"
    assert len(at.chat_input) == 1 and len(at.text_input) == 0, "one box to type a reply into"
    at.button(key="continue_button").click().run()
    assert handle.wait(20)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "The run ended:" in shown
    assert "1060" in shown, "the demo script's answer is in the transcript"
    assert not _has_key(at, "stop_button"), "no controls once the run has ended"


def _has_key(at: AppTest, key: str) -> bool:
    return any(b.key == key for b in at.button)


def test_what_the_person_types_is_the_reply_sent(app, svc, wait_until, texts) -> None:
    at = app("playground")
    run_id = _start(at, "human_in_the_loop")
    handle = svc.manager.get(LOCAL, run_id)
    wait_until(lambda: handle.status == "waiting", what="the first question")
    at.run()
    assert "Your turn" in texts(at)
    assert len(at.chat_input) == 1 and len(at.text_input) == 0, "one box, not two"
    at.chat_input(key="interject_input").set_value("Please add the new date in bold.").run()
    assert not at.exception
    wait_until(lambda: handle.status == "waiting" and any(
        e.get("type") == "message" and e["message"].get("meta", {}).get("human")
        for e in handle.events_since(0)), what="the reply in the run, then the next question")
    received = [e["text"] for e in handle.events_since(0) if e["type"] == "human_input_received"]
    assert received == ["Please add the new date in bold."]
    said = [e["message"] for e in handle.events_since(0)
            if e["type"] == "message" and e["sender"] == "you"]
    assert said[-1]["content"] == "Please add the new date in bold."
    assert not any(m["content"].startswith("Looks good") for m in said), "no canned reply"
    at.run()
    assert "You answered" in texts(at) and "You let" not in texts(at)
    # letting the agent answer: its canned reply is marked as automatic, not as the person's
    at.button(key="continue_button").click().run()
    wait_until(lambda: any(e.get("type") == "message" and e["message"].get("meta", {}).get("auto_reply")
                           for e in handle.events_since(0)), what="the automatic reply")
    at.run()
    assert "automatic reply, not typed by you" in texts(at)
    handle.cancel()
    assert handle.wait(10)


def _approval_run(svc) -> tuple[str, object]:  # noqa: ANN001 - Services
    from studio.spec import load_bundled_template

    spec = load_bundled_template("code_assistant")
    document = spec.to_dict()
    document["agents"][0]["code_execution"]["approve"] = True
    run_id = svc.manager.start(LOCAL, document, spec.default_task, template_name="Approve first")
    return run_id, svc.manager.get(LOCAL, run_id)


def test_code_approval_refusal_reason_is_a_reason_not_consent(app, svc, wait_until, texts) -> None:
    run_id, handle = _approval_run(svc)
    wait_until(lambda: handle.pending is not None and handle.pending.kind == "code_approval",
               what="the code approval")
    at = app("playground", run=run_id)
    assert "Run this code?" in texts(at) and "is_prime" in texts(at)
    assert len(at.chat_input) == 1 and len(at.text_input) == 1  # the refusal reason, in the card
    key = next(t.key for t in at.text_input if t.key.startswith("refuse_reason_"))
    at.text_input(key=key).input("ok")
    at.button(key="FormSubmitter:refuse_code_form-Refuse").click().run()
    assert not at.exception
    wait_until(lambda: any(e.get("type") == "message" and "refused" in (e["message"].get("content") or "")
                           for e in handle.events_since(0)), what="the refusal")
    events = handle.events_since(0)
    decisions = [e["decision"] for e in events if e["type"] == "human_input_received"]
    assert decisions == [{"action": "refuse", "reason": "ok", "code": ""}]
    assert not any(e["type"] == "code_executed" for e in events)
    at.run()
    assert "You refused the code: ok" in texts(at)
    handle.cancel()
    assert handle.wait(10)


def test_code_approval_edit_runs_the_persons_code(app, svc, wait_until) -> None:
    run_id, handle = _approval_run(svc)
    wait_until(lambda: handle.pending is not None and handle.pending.kind == "code_approval",
               what="the code approval")
    at = app("playground", run=run_id)
    area = next(t for t in at.text_area if t.key.startswith("edited_code_"))
    assert "is_prime" in area.value, "the edit box starts from the code asking to run"
    area.input("print('edited', 6 * 7)")
    at.button(key="FormSubmitter:edit_code_form-Run my version").click().run()
    assert not at.exception
    wait_until(lambda: any(e.get("type") == "code_executed" for e in handle.events_since(0)),
               what="the edited code's run")
    ran = next(e for e in handle.events_since(0) if e["type"] == "code_executed")
    assert "edited 42" in ran["output"]
    handle.cancel()
    assert handle.wait(10)


def test_pause_resume_and_stop(app, svc, wait_until) -> None:
    at = app("playground")
    run_id = _start(at, "planning_group")
    handle = svc.manager.get(LOCAL, run_id)
    assert _has_key(at, "pause_button") and _has_key(at, "stop_button")
    at.button(key="pause_button").click().run()
    assert handle.status == "paused"
    assert _has_key(at, "resume_button")
    at.button(key="resume_button").click().run()
    assert handle.status != "paused"
    at.button(key="stop_button").click().run()
    assert handle.wait(10)
    assert handle.status == "cancelled"
    at.run()
    assert not _has_key(at, "stop_button"), "controls go away when the run has ended"


def test_interjection_from_the_chat_box(app, svc, wait_until) -> None:
    at = app("playground")
    run_id = _start(at, "planning_group")
    handle = svc.manager.get(LOCAL, run_id)
    at.chat_input(key="interject_input").set_value("Keep it under 50 words.").run()
    assert not at.exception
    wait_until(lambda: handle.done or any(e.get("type") == "interjection"
                                          for e in handle.events_since(0)), what="the interjection")
    handle.cancel()
    handle.wait(10)


def test_reload_reattaches_to_the_run(app, svc) -> None:
    spec = __import__("studio.spec", fromlist=["x"]).load_bundled_template("tool_helper")
    run_id = svc.manager.start(LOCAL, spec, spec.default_task, template_name=spec.name, human="never")
    assert svc.manager.get(LOCAL, run_id).wait(30)
    at = app("playground")
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception
    assert len(at.chat_message) >= 2
    assert any("Tool" in e.label for e in at.expander), "tool calls are folded cards"


def test_the_demo_model_says_it_is_a_rehearsal(app, svc, wait_until, texts) -> None:
    from studio.app.widgets.demo_note import BANNER

    at = app("playground")
    assert BANNER in texts(at), "before the run: Demo is the default model"
    assert at.get("segmented_control")[0].value in ("readable", "instant")
    run_id = _start(at, "brainstorm")
    assert svc.manager.get(LOCAL, run_id).wait(60)
    at.run()
    assert BANNER in texts(at), "on the run"


def test_the_task_above_a_run_is_edited_in_place_and_run_again(app, svc, texts) -> None:
    at = app("playground")
    first = _ended_run(at, svc, "debate_judge")
    box = at.text_area(key=f"task_again_{first[:8]}")
    box.input("Free public transport")
    at.button(key=f"FormSubmitter:task_again_form_{first[:8]}-Run again").click().run()
    assert not at.exception
    second = _shown_run(at)
    assert second != first
    info = svc.store.get_run(LOCAL, second)
    assert (info.template_name, info.task) == ("Debate with a judge", "Free public transport")
    assert svc.manager.get(LOCAL, second).wait(60)
    at.run()
    assert 'Opening, for the motion "Free public transport"' in texts(at)


def test_an_ended_run_continues_forks_and_compares(app, svc, texts) -> None:
    at = app("playground")
    first = _ended_run(at, svc, "debate_judge")
    box = at.text_area(key=f"continue_{first[:8]}")
    box.input("Judge, what would change your verdict?")
    at.button(key=f"FormSubmitter:continue_form_{first[:8]}-Continue the conversation").click()
    at.run()
    assert not at.exception
    second = _shown_run(at)
    assert second != first and svc.manager.get(LOCAL, second).wait(60)
    at.run()
    assert "Continued from run" in " ".join(i.body for i in at.info)
    assert "Judge, what would change your verdict?" in texts(at)
    at.selectbox(key=f"fork_pick_{second[:8]}").set_value(1).run()
    assert at.text_area(key=f"fork_text_{second[:8]}").value.startswith("Opening, for the motion")
    at.text_area(key=f"fork_text_{second[:8]}").input("Opening: let children play.")
    at.button(key=f"fork_go_{second[:8]}").click().run()
    third = _shown_run(at)
    assert third not in (first, second) and svc.manager.get(LOCAL, third).wait(60)
    at.run()
    assert "Forked from run" in " ".join(i.body for i in at.info)
    compare = app("compare", a=first, b=third)
    assert not compare.exception
    table = compare.dataframe[0].value
    assert list(table["first run"][:3]) == ["🏁 Finished", "Demo model (offline)", "6"]
    assert "Opening: let children play." in texts(compare)
