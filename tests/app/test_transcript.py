"""The transcript model: nesting, cards, counts (pure functions, no Streamlit run)."""

from __future__ import annotations

from studio.app._transcript import Transcript
from studio.app.widgets.transcript import safe_markdown


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
