"""The Demo model: scripted turns, role-aware fallback, streaming, cancel, determinism."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import pytest

from studio.engine import (
    AssistantAgent,
    Cancelled,
    CancelToken,
    GroupChat,
    GroupChatManager,
    HumanInput,
    Message,
    ModelClient,
    ModelRequest,
    RunControl,
    StopReason,
    UserProxyAgent,
    events,
)
from studio.engine.code import LocalExecutor
from studio.engine.models._demo import DemoModel, DemoScriptError, DemoTurn, detect_role

TASK = Message(role="user", content="Count the words in this sentence", name="user")

SCRIPT = [
    {"agent": "coder", "content": "First I compute.\n```python\nprint(6 * 7)\n```"},
    {"agent": "planner", "tool_calls": [{"name": "search", "arguments": {"q": "answer"}}]},
    {"agent": "coder", "content": "The answer is 42. TERMINATE"},
]


def ask(model: DemoModel, agent: str, history: list[Message], **kw) -> object:
    system = Message(role="system", content=kw.pop("system", f"You are the {agent}."))
    return model.complete(ModelRequest(messages=(system, *history), agent=agent, **kw))


def converse(model: DemoModel, agents: list[str], rounds: int = 12) -> list[Message]:
    """Two or more agents take turns on the model until one says TERMINATE."""
    history = [TASK]
    for i in range(rounds):
        agent = agents[i % len(agents)]
        response = ask(model, agent, history)
        history.append(Message(role="assistant", content=response.content, name=agent,
                               tool_calls=response.tool_calls))
        if (response.content or "").rstrip().endswith("TERMINATE"):
            break
    return history


def test_is_a_model_client_with_the_offline_label() -> None:
    model = DemoModel()
    assert isinstance(model, ModelClient)
    assert model.label == "Demo model (offline)"


def test_scripted_turns_come_in_order_per_agent() -> None:
    model = DemoModel(SCRIPT)
    first = ask(model, "coder", [TASK])
    assert first.content == SCRIPT[0]["content"] and not first.tool_calls
    second = ask(model, "coder", [TASK])
    assert second.content == "The answer is 42. TERMINATE"
    planner = ask(model, "planner", [TASK])
    assert planner.content is None and [c.name for c in planner.tool_calls] == ["search"]
    assert model.remaining_turns == 0
    # used up: the coder falls back to its unscripted behaviour (not a repeat of the script)
    after = ask(model, "coder", [TASK])
    assert after.content not in {t["content"] for t in SCRIPT if "content" in t}
    assert after.content


def test_script_tool_calls_have_ids_and_json_arguments() -> None:
    script = [{"agent": "planner", "tool_calls": [
        {"name": "search", "arguments": {"q": "llamas", "limit": 3}},
        {"name": "add", "arguments": '{"a": 1, "b": 2}'},
    ]}]
    response = ask(DemoModel(script), "planner", [TASK])
    assert response.finish_reason == "tool_calls"
    ids = [c.id for c in response.tool_calls]
    assert len(set(ids)) == 2 and all(ids)
    assert [json.loads(c.arguments) for c in response.tool_calls] == [
        {"q": "llamas", "limit": 3}, {"a": 1, "b": 2}]


def test_dataclass_turns_are_accepted() -> None:
    model = DemoModel([DemoTurn(agent="writer", content="Once upon a time.")])
    assert ask(model, "writer", [TASK]).content == "Once upon a time."


def test_agent_names_match_ignoring_case_and_underscores() -> None:
    model = DemoModel([{"agent": "Story writer", "content": "A tale."}])
    assert ask(model, "story_writer", [TASK]).content == "A tale."


@pytest.mark.parametrize(("script", "where"), [
    ({"agent": "a"}, "expected a list"),
    ([{"content": "hi"}], "demo_script[0].agent"),
    ([{"agent": "a", "content": "ok"}, {"agent": "b"}], "demo_script[1]: a turn needs"),
    ([{"agent": "a", "content": 3}], "demo_script[0].content"),
    ([{"agent": "a", "text": "hi"}], "unknown key(s) 'text'"),
    ([{"agent": "a", "tool_calls": [{"arguments": {}}]}], "demo_script[0].tool_calls[0].name"),
    ([{"agent": "a", "tool_calls": [{"name": "f", "arguments": "{bad"}]}], "not valid JSON"),
    ([{"agent": "a", "tool_calls": [{"name": "f", "arguments": [1]}]}], "arguments: must be"),
    (["just text"], "demo_script[0]: expected a mapping"),
])
def test_bad_scripts_are_rejected_with_the_path(script, where) -> None:
    with pytest.raises(DemoScriptError) as info:
        DemoModel(script)
    assert where in str(info.value)


def select(model: DemoModel, candidates: tuple[str, ...], history: list[Message]) -> str:
    request = ModelRequest(messages=tuple(history), purpose="select_speaker",
                           candidates=candidates, agent="chat_manager")
    return model.complete(request).content or ""


def test_select_speaker_follows_the_script() -> None:
    model = DemoModel(SCRIPT)
    everyone = ("planner", "coder", "critic")
    assert select(model, everyone, [TASK]) == "coder"
    ask(model, "coder", [TASK])
    assert select(model, everyone, [TASK]) == "planner"
    # the scripted agent is not eligible: the first candidate is named instead
    assert select(model, ("critic", "coder"), [TASK]) == "critic"


def test_select_speaker_always_names_a_candidate() -> None:
    model = DemoModel(SCRIPT)
    history = [TASK]
    candidate_sets = [("a", "b"), ("planner",), ("x", "y", "z"), ("coder", "critic")]
    seen = []
    for i in range(12):
        candidates = candidate_sets[i % len(candidate_sets)]
        name = select(model, candidates, history)
        assert name in candidates
        seen.append(name)
        history.append(Message(role="assistant", content=f"turn {i}", name=name))
        if name in ("coder", "planner"):
            ask(model, name, history)


def test_unscripted_selection_takes_turns() -> None:
    model = DemoModel()
    history = [TASK]
    order = []
    for _ in range(6):
        name = select(model, ("alice", "bob", "carol"), history)
        order.append(name)
        history.append(Message(role="assistant", content="...", name=name))
    assert order == ["alice", "bob", "carol", "alice", "bob", "carol"]


@pytest.mark.parametrize("agents", [["planner", "critic"], ["writer", "critic"],
                                    ["assistant", "user_proxy"], ["alice", "bob", "carol"]])
def test_unscripted_conversation_ends_with_terminate(agents) -> None:
    history = converse(DemoModel(), agents)
    assert history[-1].text.rstrip().endswith("TERMINATE")
    assert len(history) <= 8
    # every reply says something, and replies of one agent are role-aware and non-empty
    assert all(m.text.strip() for m in history)


def test_roles_are_detected_from_name_then_system_message() -> None:
    assert detect_role("Planner") == "planner"
    assert detect_role("bob", "You review code and give a critique") == "critic"
    assert detect_role("Senior_Engineer") == "coder"
    assert detect_role("zed", "") == "other"
    assert detect_role("assistant", "You are a helpful AI assistant. Suggest python code.") == "coder"
    assert detect_role("assistant", "You are a helpful AI assistant.") == "assistant"



def test_a_system_message_is_read_for_what_the_agent_is_not_whom_it_mentions() -> None:
    manager = ("You are the product manager. Frame the problem, keep the scope small. When "
               "the designer and the engineer agree, write the final plan.")
    assert detect_role("product_manager", manager) == "moderator"
    assert detect_role("pm", manager) == "moderator"  # was "coder" ("the engineer")
    assert detect_role("designer", "You are the UX designer. Work with the engineer.") == "other"


def test_an_unscripted_coder_codes_only_what_code_can_do_and_labels_its_stand_in() -> None:
    model = DemoModel()
    reply = ask(model, "coder", [TASK], system="You write Python code.").content
    assert reply.startswith("A stand-in script") and "```python" in reply
    trip = Message(role="user", content="Plan a rainy day in Paris", name="user")
    reply = ask(DemoModel(), "coder", [trip], system="You write Python code.").content
    assert "```" not in reply and reply.startswith("Nothing for me to compute"), reply
    # an engineer asked for estimates, not code, answers in words
    said = ask(DemoModel(), "engineer", [trip], system="You are the engineer. Estimate in days.")
    assert "```" not in said.content and "Nothing for me to compute" not in said.content


def test_unscripted_coder_writes_python_that_really_runs_then_ends() -> None:
    model = DemoModel()
    history = [TASK]
    reply = ask(model, "coder", history).content
    blocks = re.findall(r"```python\n(.*?)```", reply, re.S)
    assert len(blocks) == 1 and "TERMINATE" not in reply
    run = subprocess.run([sys.executable, "-c", blocks[0]], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 0 and "6 words" in run.stdout
    history += [Message(role="assistant", content=reply, name="coder"),
                Message(role="user", name="user_proxy",
                        content=f"exitcode: 0 (execution succeeded)\nCode output: {run.stdout}")]
    done = ask(model, "coder", history).content
    assert "6 words" in done and done.rstrip().endswith("TERMINATE")


def test_unscripted_tool_use_calls_once_with_schema_arguments_then_answers() -> None:
    tools = ({"type": "function", "function": {
        "name": "add", "description": "Add two numbers.",
        "parameters": {"type": "object", "required": ["a", "b"], "properties": {
            "a": {"type": "integer"}, "b": {"type": "integer"}}}}},
        {"type": "function", "function": {
            "name": "search", "description": "Search.",
            "parameters": {"type": "object", "required": ["q"], "properties": {
                "q": {"type": "string"}, "mode": {"type": "string", "enum": ["fast", "deep"]}}}}})
    model = DemoModel()
    first = model.complete(ModelRequest(messages=(TASK,), tools=tools, agent="assistant"))
    (call,) = first.tool_calls
    assert call.name == "add" and json.loads(call.arguments) == {"a": 2, "b": 3}
    chosen = DemoModel().complete(ModelRequest(
        messages=(TASK,), tools=tools, agent="assistant",
        tool_choice={"type": "function", "function": {"name": "search"}}))
    assert json.loads(chosen.tool_calls[0].arguments) == {"q": TASK.content}
    history = (TASK, Message(role="assistant", name="assistant", tool_calls=first.tool_calls),
               Message(role="tool", content="5", tool_call_id=call.id))
    answer = model.complete(ModelRequest(messages=history, tools=tools, agent="assistant"))
    assert not answer.tool_calls and "5" in answer.content
    assert answer.content.rstrip().endswith("TERMINATE")


def test_summary_recaps_the_last_messages() -> None:
    history = (TASK, Message(role="assistant", name="planner", content="Step one. Step two."),
               Message(role="assistant", name="critic", content="Looks good. TERMINATE"),
               Message(role="user", content="Summarize the takeaway from the conversation."))
    summary = DemoModel().complete(ModelRequest(messages=history, purpose="summary")).content
    assert summary.startswith("Summary:")
    assert "planner: Step one." in summary and "critic: Looks good." in summary
    assert "TERMINATE" not in summary and "Summarize" not in summary


def test_streaming_deltas_concatenate_to_the_content() -> None:
    deltas: list[str] = []
    model = DemoModel([{"agent": "writer", "content": "Roses  are red,\nviolets are blue."}])
    response = model.complete(ModelRequest(messages=(TASK,), agent="writer"),
                              on_token=deltas.append)
    assert "".join(deltas) == response.content == "Roses  are red,\nviolets are blue."
    assert len(deltas) >= 5
    unscripted: list[str] = []
    again = model.complete(ModelRequest(messages=(TASK,), agent="writer"),
                           on_token=unscripted.append)
    assert "".join(unscripted) == again.content


def test_usage_is_estimated_and_free() -> None:
    response = ask(DemoModel(), "assistant", [TASK])
    assert response.usage.model == "demo" and response.model == "demo"
    assert response.usage.cost == 0
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0


def test_same_script_and_conversation_give_the_same_replies() -> None:
    def run(model: DemoModel) -> list[dict]:
        history = converse(model, ["planner", "coder", "critic"])
        picks = [select(model, ("planner", "coder", "critic"), history) for _ in range(2)]
        return [m.to_dict() for m in history] + [{"picks": picks}]

    model = DemoModel(SCRIPT)
    first = run(model)
    assert first == run(DemoModel(SCRIPT))
    model.reset()
    assert run(model) == first


def test_cancel_during_a_paced_stream_stops_at_once() -> None:
    model = DemoModel([{"agent": "writer", "content": " ".join(["word"] * 200)}],
                      token_delay=0.05)
    cancel = CancelToken()
    started = threading.Event()
    deltas: list[str] = []

    def on_token(delta: str) -> None:
        deltas.append(delta)
        started.set()

    outcome: dict[str, object] = {}

    def worker() -> None:
        try:
            model.complete(ModelRequest(messages=(TASK,), agent="writer"), cancel=cancel,
                           on_token=on_token)
        except Cancelled as exc:
            outcome["error"] = exc
        outcome["at"] = time.monotonic()

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(5)
    cancelled_at = time.monotonic()
    cancel.set()
    thread.join(5)
    assert isinstance(outcome.get("error"), Cancelled)
    assert outcome["at"] - cancelled_at < 1.0  # the contract: a cancelled run stops within 1 s
    assert 0 < len(deltas) < 200


def test_an_already_cancelled_request_raises() -> None:
    cancel = CancelToken()
    cancel.set()
    with pytest.raises(Cancelled):
        DemoModel().complete(ModelRequest(messages=(TASK,), agent="a"), cancel=cancel)


def test_paced_stream_takes_about_delay_per_token() -> None:
    model = DemoModel([{"agent": "a", "content": "one two three four"}], token_delay=0.02)
    deltas: list[str] = []
    start = time.monotonic()
    model.complete(ModelRequest(messages=(TASK,), agent="a"), on_token=deltas.append)
    assert time.monotonic() - start >= 0.02 * len(deltas) * 0.9
    with pytest.raises(ValueError, match="token_delay"):
        DemoModel(token_delay=-1)


# -- with the real engine: code really runs, tools really run ----------------------------
def _executor(tmp_path) -> LocalExecutor:
    return LocalExecutor(sandbox="none", allow_unsandboxed=True, timeout=30, work_dir=tmp_path)


def test_unscripted_assistant_and_user_proxy_run_code_and_end(tmp_path) -> None:
    model = DemoModel()
    assistant = AssistantAgent("assistant", model=model)
    proxy = UserProxyAgent("user_proxy", human_input=HumanInput.NEVER,
                           code_executor=_executor(tmp_path))
    result = proxy.initiate_chat(assistant, message="Count the words in this sentence please")
    texts = [m.text for m in result.history]
    assert "```python" in texts[1]
    assert texts[2].startswith("exitcode: 0 (execution succeeded)") and "7 words" in texts[2]
    assert texts[-1].rstrip().endswith("TERMINATE") and "7 words" in texts[-1]
    assert result.stop_reason == StopReason.TERMINATION
    assert result.usage["by_model"]["demo"]["cost"] == 0


def test_scripted_group_chat_follows_the_script_with_real_tools_and_code(tmp_path) -> None:
    def lookup(topic: str) -> str:
        """Look a topic up in the demo encyclopedia.

        Args:
            topic: What to look up.
        """
        return f"{topic}: 42 is the answer"

    script = [
        {"agent": "planner", "content": "Plan: look it up, then compute it."},
        {"agent": "researcher", "tool_calls": [{"name": "lookup",
                                                "arguments": {"topic": "life"}}]},
        {"agent": "coder", "content": "```python\nprint(6 * 7)\n```"},
        {"agent": "coder", "content": "The code printed 42, matching the lookup. TERMINATE"},
    ]
    model = DemoModel(script)
    planner = AssistantAgent("planner", model=model, system_message="You plan.")
    researcher = AssistantAgent("researcher", model=model, tools=[lookup],
                                system_message="You research.")
    coder = AssistantAgent("coder", model=model, system_message="You write code.")
    executor = UserProxyAgent("executor", human_input=HumanInput.NEVER,
                              code_executor=_executor(tmp_path), tools_for_execution=[lookup])
    group = GroupChat([planner, researcher, coder, executor], max_round=12)
    manager = GroupChatManager(group, model=model)
    seen: list = []
    result = executor.initiate_chat(manager, message="What is the answer to life?",
                                    control=RunControl(on_event=seen.append))
    speakers = [e.speaker for e in seen if isinstance(e, events.SpeakerSelected)]
    # the researcher runs its own tool (it is registered for execution there too); after
    # the code block the executor (no scripted turns) is picked so the code really runs
    assert speakers == ["planner", "researcher", "researcher", "coder", "executor", "coder"]
    texts = [m.text for m in result.history]
    assert any("life: 42 is the answer" in t for t in texts)
    assert any(t.startswith("exitcode: 0") and "42" in t for t in texts)
    assert result.stop_reason == StopReason.TERMINATION
    assert model.remaining_turns == 0


def test_unscripted_group_chat_runs_code_and_terminates(tmp_path) -> None:
    model = DemoModel()
    members = [AssistantAgent(name, model=model, system_message=f"You are the {name}.")
               for name in ("planner", "coder", "critic")]
    proxy = UserProxyAgent("user_proxy", human_input=HumanInput.NEVER,
                           code_executor=_executor(tmp_path))
    manager = GroupChatManager(GroupChat([*members, proxy], max_round=20), model=model)
    result = proxy.initiate_chat(manager, message="Find the longest word in this task")
    assert result.stop_reason == StopReason.TERMINATION
    assert result.history[-1].text.rstrip().endswith("TERMINATE")
    assert any(m.text.startswith("exitcode: 0") for m in result.history)
    assert len(result.history) < 20
