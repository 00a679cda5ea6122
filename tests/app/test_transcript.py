"""The transcript model: nesting, cards, counts (pure functions, no Streamlit run)."""

from __future__ import annotations

from studio.app._transcript import Transcript
from studio.app.widgets.transcript import ENDING_BADGE, message_tag, safe_markdown, split_ending
from studio.engine import Message, Termination


def _msg(seq, sender, recipient, content, depth=0, **message):
    return {"type": "message", "seq": seq, "depth": depth, "sender": sender, "recipient": recipient,
            "message": {"role": "assistant", "content": content, **message}}


def test_nested_chat_folds_under_the_reply_it_led_to() -> None:
    tx = Transcript()
    tx.feed([_msg(1, "user", "writer", "write a poem"),
             {"type": "chat_started", "seq": 2, "depth": 1, "kind": "nested", "sender": "writer",
              "recipient": "critic"},
             _msg(3, "writer", "critic", "draft", depth=1),
             _msg(4, "critic", "writer", "better rhyme", depth=1)])
    assert [i.kind for i in tx.items] == ["message"]
    assert len(tx.pending_nested) == 3, "while it goes on, the nested chat is shown open"
    tx.feed([_msg(5, "writer", "user", "final poem")])
    reply = tx.items[-1]
    assert reply.content == "final poem" and [c.kind for c in reply.children][-1] == "message"
    assert not tx.pending_nested


def test_tool_call_and_result_share_one_card_and_tokens_stream() -> None:
    tx = Transcript()
    tx.feed([{"type": "token", "seq": 1, "agent": "bot", "delta": "Let me "},
             {"type": "token", "seq": 2, "agent": "bot", "delta": "add"}])
    assert tx.streaming == {"bot": "Let me add"} and tx.speaker == "bot"
    call = {"id": "c1", "name": "add", "arguments": '{"a": 1, "b": 2}'}
    tx.feed([_msg(3, "bot", "proxy", "Let me add", tool_calls=[call]),
             {"type": "tool_call", "seq": 4, "agent": "proxy", "call_id": "c1", "name": "add"},
             {"type": "tool_result", "seq": 5, "agent": "proxy", "call_id": "c1", "name": "add",
              "content": "3"},
             {"type": "message", "seq": 6, "sender": "proxy", "recipient": "bot",
              "message": {"role": "tool", "content": "3", "tool_call_id": "c1"}}])
    assert not tx.streaming
    cards = [c for item in tx.items for c in item.cards]
    assert len(cards) == 1 and cards[0].result == "3"
    assert tx.edge_counts == {("bot", "proxy"): 1}
    tx.feed([_msg(6, "x", "y", "replayed seq is ignored")])
    assert len(tx.items) == 1


def test_group_edges_count_speaker_to_speaker_and_run_end() -> None:
    tx = Transcript()
    tx.feed([{"type": "chat_started", "seq": 1, "kind": "group", "sender": "user",
              "recipient": "chat_manager", "members": ["a", "b"]},
             _msg(2, "user", "chat_manager", "go"), _msg(3, "a", "chat_manager", "hi"),
             _msg(4, "b", "chat_manager", "yo"), _msg(5, "a", "chat_manager", "bye"),
             {"type": "run_finished", "seq": 6, "reason": "max rounds", "summary": "done",
              "usage": {"total": {"total_tokens": 42, "cost": 0.5}}}])
    assert tx.edge_counts == {("user", "a"): 1, ("a", "b"): 1, ("b", "a"): 1}
    assert tx.finished is not None and tx.finished.reason == "max rounds"
    assert tx.tokens == 42 and tx.cost == 0.5


def test_store_rows_normalise_like_live_events() -> None:
    tx = Transcript()
    tx.feed([{"seq": 1, "kind": "message", "data": _msg(1, "a", "b", "hello")}])
    assert tx.items[0].sender == "a" and tx.items[0].content == "hello"


def test_dollars_stay_literal_outside_code() -> None:
    assert safe_markdown("costs $5 and $6\n```\necho $HOME\n```") == (
        "costs \\$5 and \\$6\n```\necho $HOME\n```")


def test_images_in_messages_become_links_and_are_never_fetched() -> None:
    shown = safe_markdown("Look: ![plan](https://evil.example/p.png?d=secret \"t\") ok")
    assert "![" not in shown
    assert shown == ('Look: [🖼️ image: plan (evil.example)](https://evil.example/p.png?d=secret '
                     '"t") ok')
    assert safe_markdown("![x][r]\n\n[r]: //h.test/i.png") == \
        "[🖼️ image: x][r]\n\n[r]: //h.test/i.png"
    assert safe_markdown("![a [b] c](<http://h.test/i.png>)") == \
        "[🖼️ image: a (b) c (h.test)](<http://h.test/i.png>)"
    # code shows the markdown as it was written
    assert safe_markdown("`![c](http://x.test/i.png)`") == "`![c](http://x.test/i.png)`"
    assert safe_markdown("```\n![c](http://x.test/i.png)\n```") == \
        "```\n![c](http://x.test/i.png)\n```"


def test_the_live_graph_is_drawn_inline_with_names_beside_and_the_speaker_ringed() -> None:
    from studio.app._transcript import Transcript
    from studio.app.widgets.live_graph import live_team_svg
    from studio.spec import load_bundled_template

    spec = load_bundled_template("planning_group")
    tx = Transcript()
    svg = live_team_svg(spec, tx, speaking="coder")
    assert svg.startswith("<svg") and 'aria-label="The team of' in svg and "coder speaking" in svg
    for name in spec.agent_names:
        assert f">{name}</text>" in svg
    assert svg.count("<animate") == 1, "only the agent speaking is ringed"
    assert svg.count('r="15"') == len(spec.agent_names), "every dot keeps its size"
    quiet = live_team_svg(spec, tx)
    assert "<animate" not in quiet and "speaking" not in quiet


def _wait(handle, predicate, timeout: float = 60.0):
    """The run's live events once ``predicate`` holds (waiting on the handle's notices)."""
    import time

    deadline = time.monotonic() + timeout
    events = handle.events_since(0)
    while not predicate(events):
        assert time.monotonic() < deadline and not handle.done, (
            f"{handle.status}: {[e['type'] for e in events][-12:]}")
        handle.wait_for_events(len(events), timeout=0.5)
        events = handle.events_since(0)
    return events


def _said(events, sender):
    return [e for e in events if e["type"] == "message" and e["sender"] == sender]


def _typing(sender):
    return lambda events: any(e["type"] == "token" and e["agent"] == sender for e in events)


def test_the_graph_follows_every_turn_after_the_person_steps_in(tmp_path) -> None:
    """The walkthrough's run, made on the Demo model by the run manager: the person pauses
    while the coder writes, steps in, resumes, and stops the run while the critic writes."""
    from studio.app.widgets.live_graph import live_team_svg
    from studio.runs import RunManager
    from studio.spec import Registry, load_bundled_template
    from studio.store import Actor, Store

    local = Actor.local()
    spec = load_bundled_template("planning_group")
    store = Store.open(data_dir=tmp_path)
    manager = RunManager(store, Registry.bundled(), data_dir=tmp_path, demo_token_delay=0.02)
    try:
        handle = manager.get(local, manager.start(local, spec, spec.default_task,
                                                  template_name=spec.name))
        _wait(handle, _typing("coder"))
        handle.pause()  # held between the coder's message and the next turn
        _wait(handle, lambda events: events[-1]["type"] == "paused")
        handle.interject("Please also handle accented letters.")
        handle.resume()
        _wait(handle, _typing("critic"))
        handle.cancel()
        assert handle.wait(10) and handle.status == "cancelled"
        live = handle.events_since(0)
        stored = manager.transcript(local, handle.run_id)
    finally:
        assert manager.shutdown(5.0)
        store.close()
    said = [e for e in live if e["type"] == "message"]
    assert [e["sender"] for e in said] == ["user", "planner", "coder", "human", "user"]
    assert said[3]["message"]["meta"]["interjection"], "the person's message came in between"
    assert not _said(live, "critic"), "the critic was cut off mid-message"

    tx = Transcript()
    tx.feed(live)
    drawn = {pair: n for pair, n in tx.edge_counts.items() if set(pair) <= set(spec.agent_names)}
    assert drawn == {("user", "planner"): 1, ("planner", "coder"): 1, ("coder", "user"): 1,
                     ("user", "critic"): 1}, "the turns after the interjection are counted"
    assert tx.edge_counts == drawn, "the person stepping in is no step between two agents"
    assert tx.stepped_in == 1 and tx.speaker == "critic" and not tx.stepped_in_last
    assert "critic" in tx.streaming, "the transcript shows the critic's words, cut off"
    svg = live_team_svg(spec, tx, speaking=tx.speaker, live=False)
    assert 'data-edge="coder→user" data-count="1"' in svg
    assert 'data-edge="user→critic" data-count="1"' in svg
    assert 'class="rt-speaker" data-agent="critic"' in svg and "critic spoke last" in svg
    assert "<animate" not in svg, "a run that stands still has no pulsing ring"

    again = Transcript()  # History: the stored events (what was streamed is not kept)
    again.feed(stored)
    assert again.edge_counts == {("user", "planner"): 1, ("planner", "coder"): 1,
                                 ("coder", "user"): 1}
    assert again.stepped_in == 1 and again.speaker == "critic"


def test_the_person_stepping_in_is_the_newest_turn_until_an_agent_speaks() -> None:
    def in_c1(event):
        return {**event, "chat_id": "c1"}

    tx = Transcript()
    # the person's message, sent under an agent's name (an agent may be called "human")
    stepping_in = _msg(3, "planner", "chat_manager", "Shorter, please.", role="user",
                       meta={"interjection": True, "human": True})
    tx.feed([in_c1({"type": "chat_started", "seq": 1, "kind": "group", "sender": "user",
                    "recipient": "chat_manager"}),
             in_c1(_msg(2, "user", "chat_manager", "go")), in_c1(stepping_in)])
    assert tx.stepped_in_last and tx.stepped_in == 1 and tx.edge_counts == {}
    tx.feed([in_c1({"type": "speaker_selected", "seq": 4, "speaker": "planner"})])
    assert tx.speaker == "planner" and not tx.stepped_in_last
    tx.feed([in_c1(_msg(5, "planner", "chat_manager", "Plan."))])
    assert tx.edge_counts == {("user", "planner"): 1}


def test_the_line_above_a_message_says_when_the_words_are_the_persons() -> None:
    tx = Transcript()
    tx.feed([_msg(1, "student", "teacher", "What is a prime?"),
             _msg(2, "teacher", "student", "A number with two divisors."),
             _msg(3, "human", "teacher", "Use an example.", meta={"interjection": True,
                                                                  "human": True}),
             _msg(4, "student", "teacher", "Auto.", meta={"auto_reply": True}),
             _msg(5, "student", "teacher", "And 1?", meta={"human": True, "followup": True}),
             _msg(6, "teacher", "student", "Not prime.", meta={"edited": True})])
    agents, humans = {"student", "teacher"}, {"student"}
    tags = [message_tag(item, agents, humans) for item in tx.items]
    assert tags == ["", "", " · _stepped in_", " · _automatic reply, not typed by you_",
                    " · _your follow-up_", " · _edited at a fork_"]


def test_a_message_the_run_ended_before_is_a_note_and_kept_for_a_follow_up() -> None:
    tx = Transcript()
    stored_row = {"seq": 3, "kind": "notice", "chat_id": "", "depth": 0,
                  "data": {"type": "notice", "kind": "undelivered", "undelivered": "be brief",
                           "text": "Your message was not delivered: the run ended first. “be brief”"}}
    tx.feed([_msg(1, "user", "bot", "hi"), _msg(2, "bot", "user", "hello"), stored_row,
             {"type": "notice", "seq": 4, "kind": "resumed", "text": "Resumed elsewhere."}])
    notes = [(i.note_kind, i.content) for i in tx.items if i.kind == "note"]
    assert notes[0][0] == "undelivered" and "be brief" in notes[0][1]
    assert notes[1][0] == "notice"  # other notices stay as they were
    assert tx.undelivered == ["be brief"]


def test_the_word_that_ends_a_chat_is_a_badge_that_says_what_it_means() -> None:
    assert split_ending("Shortlist: adopt a bed.\n\nTERMINATE") == ("Shortlist: adopt a bed.",
                                                                     True)
    assert split_ending("TERMINATE") == ("", True)
    assert split_ending("Done.TERMINATE") == ("Done.", True)  # it ends the chat all the same
    # the engine's rule (the text ends with the word): what does not end a chat keeps it
    for kept in ("Say TERMINATE when you are done.", "Done. TERMINATE."):
        assert split_ending(kept) == (kept, False)
        assert not Termination.ends_with("TERMINATE")(Message(role="assistant", content=kept))


def test_a_run_that_ends_on_the_keyword_shows_the_badge_not_the_bare_word(tmp_path) -> None:
    from streamlit.testing.v1 import AppTest

    from studio.engine import RunControl
    from studio.spec import load_bundled_template
    from studio.spec.build import build_team

    seen: list = []
    build_team(load_bundled_template("brainstorm"), work_dir=tmp_path).run(
        control=RunControl(on_event=seen.append))
    events = [{**e.to_dict(), "seq": i} for i, e in enumerate(seen, 1)]
    assert any(e["type"] == "message" and "TERMINATE" in str(e["message"].get("content"))
               for e in events), "the brainstorm's facilitator ends on the keyword"

    def page(events: list) -> None:
        from studio.app._transcript import Transcript
        from studio.app.widgets.transcript import TranscriptView

        tx = Transcript()
        tx.feed(events)
        TranscriptView(tx, ["user", "facilitator", "dreamer", "realist"], work_dir=None,
                       key="t").render()

    at = AppTest.from_function(page, args=(events,), default_timeout=30).run()
    assert not at.exception
    shown = [m.value for m in at.markdown]
    assert not [m for m in shown if "TERMINATE" in m and m != ENDING_BADGE], shown
    assert shown.count(ENDING_BADGE) == 1
