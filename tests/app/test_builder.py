"""Builder page (AppTest): forms, validation as you edit, text view, save/versions/delete."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from studio.spec import dump_yaml, load_bundled_template
from studio.store import Actor

LOCAL = Actor.local()

APP_DIR = Path(__file__).resolve().parents[2] / "studio" / "app"


def builder_page() -> str:
    for folder in ("pages", "views"):
        if (APP_DIR / folder / "builder.py").is_file():
            return f"{folder}/builder.py"
    raise AssertionError("the Builder page file is missing")


@pytest.fixture
def builder(app) -> Any:  # noqa: ANN001
    def make() -> AppTest:
        at = app()
        at.switch_page(builder_page()).run()
        assert not at.exception, at.exception
        return at

    return make


def spec_of(at: AppTest) -> Any:
    return at.session_state["builder_spec"]


def gen(at: AppTest) -> int:
    return at.session_state["builder_gen"]


def canvas_nodes(at: AppTest) -> dict[str, str]:
    """Node id -> label shown on the canvas (what was last pushed to the component)."""
    state = at.session_state["builder_flow_state"]
    return {n.id: n.data["content"] for n in state.nodes}


def drag_connect(at: AppTest, *pairs: tuple[int, int]) -> AppTest:
    """What the canvas sends back after people drag connections between node handles."""
    state = at.session_state["builder_flow_state"]
    edges = [e.asdict() for e in state.edges]
    edges += [{"id": f"st-flow-edge_n{s}-n{t}", "source": f"n{s}", "target": f"n{t}"}
              for s, t in pairs]
    at.session_state["builder_canvas"] = {
        "nodes": [n.asdict() for n in state.nodes], "edges": edges, "selectedId": None,
        "timestamp": int(time.time() * 1000)}
    return at.run()


def errors_text(at: AppTest) -> str:
    """Errors shown under fields and in the problem list."""
    return "\n".join([e.body for e in at.error] + [m.value for m in at.markdown])


def add(at: AppTest, *presets: str) -> AppTest:
    for preset in presets:
        at.button_group(key="builder_palette").set_value(preset).run()
        assert not at.exception, at.exception
    return at


def form_key(at: AppTest, field: str) -> str:
    """The key of a field of the agent form as drawn now (keys end with a value digest)."""
    start = f"{at.session_state['builder_form_prefix']}_{field}_"
    keys = [e.key for kind in ("text_input", "text_area", "number_input", "checkbox", "toggle",
                               "selectbox", "multiselect", "radio") for e in getattr(at, kind)
            if e.key and e.key.startswith(start)]
    assert len(keys) == 1, (start, keys)
    return keys[0]


def meta_key(at: AppTest, field: str) -> str:
    start = f"b{gen(at)}_meta_{field}_"
    return next(e.key for e in [*at.text_input, *at.text_area] if e.key.startswith(start))


def select_agent(at: AppTest, index: int) -> AppTest:
    picker = next(s for s in at.selectbox if s.label == "Agent")
    return picker.set_value(index).run()


def name_input(at: AppTest, index: int):  # noqa: ANN201
    select_agent(at, index)
    return at.text_input(key=form_key(at, "name"))


def test_new_team_adds_presets_with_unique_names_and_connects_by_dragging(builder) -> None:
    at = add(builder(), "planner", "coder", "coder")
    assert spec_of(at).agent_names == ["planner", "coder", "coder_2"]
    assert spec_of(at).agent("coder").model == "main", "assistants get the template's model"
    assert "no edge reaches agent 'coder'" in errors_text(at)
    assert at.button(key="builder_run").disabled
    drag_connect(at, (0, 1), (1, 2), (2, 0))
    spec = spec_of(at)
    assert [(e.source, e.target) for e in spec.pattern.edges] == [
        ("planner", "coder"), ("coder", "coder_2"), ("coder_2", "planner")]
    assert spec.pattern.starter == "planner", "the first connection picks who starts"
    assert not at.button(key="builder_run").disabled
    assert all("⛔" not in label for label in canvas_nodes(at).values())


def test_duplicate_name_is_flagged_on_the_field_and_the_node(builder) -> None:
    at = add(builder(), "planner", "critic")
    drag_connect(at, (0, 1), (1, 0))
    name_input(at, 1).set_value("planner").run()
    assert "duplicate agent name 'planner'" in errors_text(at)
    assert "⛔" in canvas_nodes(at)["n1"]
    assert at.button(key="builder_run").disabled
    assert "duplicate agent name" in " ".join(c.value for c in at.caption)
    name_input(at, 1).set_value("reviewer").run()
    assert "duplicate" not in errors_text(at)
    spec = spec_of(at)
    assert ("planner", "reviewer") in [(e.source, e.target) for e in spec.pattern.edges], \
        "renaming an agent renames its connections"
    assert "reviewer" in spec.layout


def test_invalid_name_is_explained_under_the_field(builder) -> None:
    at = add(builder(), "assistant")
    name_input(at, 0).set_value("my helper").run()
    assert "must be 1-64 letters, digits" in errors_text(at)
    assert "⛔" in canvas_nodes(at)["n0"]


def test_unreached_agent_group_of_one_and_no_starter(builder) -> None:
    at = add(builder(), "assistant")
    shown = errors_text(at)
    assert "no edge reaches agent 'assistant'" in shown
    assert "no starting agent" in shown
    assert "a group chat needs at least 2 members, found 0" in shown
    starter = next(s for s in at.selectbox if s.label == "Who starts")
    starter.set_value("assistant").run()
    shown = errors_text(at)
    assert "a group chat needs at least 2 members, found 1" in shown
    assert "no starting agent" not in shown


def test_unknown_tool_and_model_from_a_restored_draft_show_on_their_fields(builder, svc) -> None:
    doc = load_bundled_template("tool_helper").to_dict()
    doc["agents"][1]["tools"] = ["serch"]
    doc["agents"][1]["model"] = "gpt-9"
    svc.store.save_draft(LOCAL, doc, None)
    at = builder()
    assert spec_of(at).agents[1].tools == ["serch"], "a reload restores the autosaved draft"
    select_agent(at, 1)
    shown = errors_text(at)
    assert "unknown tool 'serch'" in shown
    assert "unknown model 'gpt-9'" in shown
    assert "⛔" in canvas_nodes(at)["n1"] and "⛔" not in canvas_nodes(at)["n0"]
    run_reason = " ".join(c.value for c in at.caption if "Run is off" in c.value)
    assert "unknown" in run_reason


def test_form_edits_reach_the_draft_and_the_autosave(builder, svc) -> None:
    at = add(builder(), "executor")
    at.text_area(key=form_key(at, "system_message")).set_value("Run code carefully.").run()
    at.number_input(key=form_key(at, "timeout")).set_value(7).run()
    at.checkbox(key=form_key(at, "approve")).check().run()
    at.toggle(key=form_key(at, "custom")).set_value(True).run()
    at.text_input(key=form_key(at, "term_value")).set_value("DONE").run()
    at.selectbox(key=form_key(at, "term_kind")).set_value("exact").run()
    agent = spec_of(at).agents[0]
    assert agent.system_message == "Run code carefully."
    assert (agent.code_execution.timeout, agent.code_execution.approve) == (7, True)
    assert (agent.termination.kind, agent.termination.value) == ("exact", "DONE")
    saved = svc.store.get_draft(LOCAL)[0]
    assert saved["agents"][0]["termination"]["value"] == "DONE"


def test_text_view_applies_valid_text_and_refuses_invalid_text(builder) -> None:
    at = builder()
    spec = load_bundled_template("writer_with_critic")
    text = dump_yaml(spec).replace(f"name: {spec.name}", "name: Edited in text", 1)
    area = next(t for t in at.text_area if t.label.startswith("The template as"))
    area.set_value(text).run()
    at.button(key="builder_text_apply").click().run()
    assert spec_of(at).name == "Edited in text"
    assert spec_of(at).agent_names == spec.agent_names
    assert any("Applied: the canvas" in s.value for s in at.success)
    at.run()  # another rerun (the canvas settling) keeps the confirmation
    assert any("Applied: the canvas" in s.value for s in at.success)
    labels = " ".join(canvas_nodes(at).values())
    assert all(name in labels for name in spec.agent_names), "the canvas follows the text"
    before = spec_of(at)
    area = next(t for t in at.text_area if t.label.startswith("The template as"))
    broken = re.sub(r"(pattern:\n  kind: )\w+", r"\1circle", area.value)
    assert broken != area.value
    area.set_value(broken).run()
    at.button(key="builder_text_apply").click().run()
    shown = errors_text(at)
    assert "Not applied" in shown and "pattern.kind" in shown
    assert spec_of(at) == before, "invalid text changes nothing"


def _valid_team(at: AppTest, name: str) -> AppTest:
    add(at, "planner", "critic")
    drag_connect(at, (0, 1), (1, 0))
    at.text_input(key=meta_key(at, "name")).set_value(name).run()
    return at


def test_save_makes_versions_and_restore_brings_an_old_one_back(builder, svc) -> None:
    at = _valid_team(builder(), "Two friends")
    at.button(key="builder_save").click().run()
    assert [v.version for v in svc.store.template_versions(LOCAL, "Two friends")] == [1]
    name_input(at, 1).set_value("reviewer").run()
    at.button(key="builder_save").click().run()
    versions = svc.store.template_versions(LOCAL, "Two friends")
    assert [v.version for v in versions] == [2, 1]
    assert "Saved “Two friends” as version 2" in "\n".join(s.body for s in at.success)
    at.button(key="builder_restore_1").click().run()
    assert svc.store.template_versions(LOCAL, "Two friends")[0].version == 3
    assert spec_of(at).agent_names == ["planner", "critic"], "the draft shows the restored version"


def test_delete_with_undo_and_duplicate(builder, svc) -> None:
    at = _valid_team(builder(), "Temp team")
    at.button(key="builder_save").click().run()
    at.button(key="builder_delete").click().run()
    assert [t.name for t in svc.store.list_templates(LOCAL)] == []
    at.button(key="builder_undo_delete").click().run()
    assert [t.name for t in svc.store.list_templates(LOCAL)] == ["Temp team"]
    next(t for t in at.text_input if t.label == "Copy name").set_value("Temp copy").run()
    at.button(key="builder_duplicate").click().run()
    assert {t.name for t in svc.store.list_templates(LOCAL)} == {"Temp team", "Temp copy"}
    assert spec_of(at).name == "Temp copy"


def test_bundled_template_opens_as_a_copy_and_runs_in_the_playground(builder, svc) -> None:
    at = builder()
    at.selectbox(key="builder_open_select").set_value("writer_with_critic").run()
    at.button(key="builder_open").click().run()
    spec = spec_of(at)
    assert spec.name.endswith("(my copy)")
    assert not at.button(key="builder_run").disabled
    at.button(key="builder_run").click().run()
    assert not at.exception, at.exception
    assert svc.store.template_versions(LOCAL, spec.name)[0].note == "saved to run"
    assert at.selectbox(key="template_select").value == f"saved:{spec.name}"


def test_deleting_a_node_on_the_canvas_removes_the_agent_and_its_edges(builder) -> None:
    at = add(builder(), "planner", "coder", "critic")
    drag_connect(at, (0, 1), (1, 2))
    state = at.session_state["builder_flow_state"]
    at.session_state["builder_canvas"] = {
        "nodes": [n.asdict() for n in state.nodes if n.id != "n1"],
        "edges": [], "selectedId": None, "timestamp": int(time.time() * 1000)}
    at.run()
    spec = spec_of(at)
    assert spec.agent_names == ["planner", "critic"]
    assert spec.pattern.edges == []
    assert "coder" not in spec.layout


def test_turning_code_execution_on_and_the_container_network(builder) -> None:
    at = add(builder(), "assistant")
    assert spec_of(at).agents[0].code_execution is None or \
        spec_of(at).agents[0].code_execution.executor == "none"
    at.radio(key=form_key(at, "executor")).set_value("local").run()
    assert not at.exception, at.exception
    assert spec_of(at).agents[0].code_execution.executor == "local"
    notes = " ".join(c.value for c in at.caption)
    assert "bubblewrap" in notes  # where the code will run
    at.radio(key=form_key(at, "executor")).set_value("docker").run()
    at.checkbox(key=form_key(at, "network")).check().run()
    code = spec_of(at).agents[0].code_execution
    assert (code.executor, code.network) == ("docker", True)
    assert "network on" in " ".join(c.value for c in at.caption)
