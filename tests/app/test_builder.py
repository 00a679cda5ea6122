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
    assert "“coder” is not connected yet" in errors_text(at)
    assert "`" not in errors_text(at), "problems are sentences, not field paths"
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
    assert "Two agents are called “planner”: rename one of them." in errors_text(at)
    assert "⛔" in canvas_nodes(at)["n1"]
    assert at.button(key="builder_run").disabled
    assert "Two agents are called" in " ".join(c.value for c in at.caption)
    name_input(at, 1).set_value("reviewer").run()
    assert "Two agents are called" not in errors_text(at)
    spec = spec_of(at)
    assert ("planner", "reviewer") in [(e.source, e.target) for e in spec.pattern.edges], \
        "renaming an agent renames its connections"
    assert "reviewer" in spec.layout


def test_invalid_name_is_explained_under_the_field(builder) -> None:
    at = add(builder(), "assistant")
    name_input(at, 0).set_value("my helper").run()
    assert "“my helper” cannot be a name: use letters, digits" in errors_text(at)
    assert "⛔" in canvas_nodes(at)["n0"]


def test_unreached_agent_group_of_one_and_no_starter(builder) -> None:
    at = add(builder(), "assistant")
    shown = errors_text(at)
    assert "“assistant” is not connected yet" in shown
    assert "Choose who starts the conversation" in shown
    assert "Connect at least two agents" in shown
    at.button_group(key="builder_side").set_value("pattern").run()
    starter = next(s for s in at.selectbox if s.label == "Who starts")
    starter.set_value("assistant").run()
    shown = errors_text(at)
    assert "Connect at least two agents" in shown
    assert "Choose who starts the conversation" not in shown


def test_unknown_tool_and_model_from_a_restored_draft_show_on_their_fields(builder, svc) -> None:
    doc = load_bundled_template("tool_helper").to_dict()
    doc["agents"][1]["tools"] = ["serch"]
    doc["agents"][1]["model"] = "gpt-9"
    svc.store.save_draft(LOCAL, doc, None)
    at = builder()
    assert spec_of(at).agents[1].tools == ["serch"], "a reload restores the autosaved draft"
    select_agent(at, 1)
    shown = errors_text(at)
    assert "uses a tool that does not exist: “serch”" in shown
    assert "uses a model that is not set up here: “gpt-9”" in shown
    assert "⛔" in canvas_nodes(at)["n1"] and "⛔" not in canvas_nodes(at)["n0"]
    run_reason = " ".join(c.value for c in at.caption if "Run is off" in c.value)
    assert "does not exist" in run_reason or "not set up here" in run_reason


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


def test_text_view_explains_problems_in_the_builders_words_and_keeps_the_text(builder) -> None:
    at = builder()
    area = next(t for t in at.text_area if t.label.startswith("The template as"))
    text = dump_yaml(load_bundled_template("writer_with_critic"))
    text = text.replace("  model: main\npattern:", "  model: gpt-9\npattern:")
    text = text.replace("target: writer", "target: writr")
    area.set_value(text).run()
    before = spec_of(at)
    at.button(key="builder_text_apply").click().run()
    assert not at.exception, at.exception
    (error,) = at.error
    model_line = text.split("\n").index("  model: gpt-9") + 1
    assert f"**Line {model_line}** · Agent “critic” › Model: 'gpt-9' is not one of the models " \
        "you can pick. The Model list offers this template's main; built in\\: demo" in error.body
    assert ":small[`agents[2].model`]" in error.body, "the raw path stays, small"
    assert "Conversation › Connection user → writr › To: 'writr' is not an agent" in error.body
    assert "Not applied: the text has 4 problems" in error.body
    assert spec_of(at) == before, "nothing applied"
    area = next(t for t in at.text_area if t.label.startswith("The template as"))
    assert area.value == text, "what the person typed is still in the box"
    at.run()  # any later rerun keeps it too
    assert next(t for t in at.text_area if t.label.startswith("The template as")).value == text

    broken = text.replace("  human_input: never", "  human_input: [never")
    area.set_value(broken).run()
    at.button(key="builder_text_apply").click().run()
    (error,) = at.error
    line = broken.split("\n").index("- name: writer") + 1
    assert f"The text is not valid YAML at line {line}, column 7" in error.body
    assert f"{line} | - name: writer" in error.body, "the broken line is shown"
    assert next(t for t in at.text_area if t.label.startswith("The template as")).value == broken


def test_text_view_shows_every_problem_at_once_and_the_models_of_the_picker(builder, svc
                                                                           ) -> None:
    """A typo does not hide the other problems until it is fixed, and an unknown model is
    answered with the models the Model list offers (a model of the Models page included)."""
    from studio.store import ModelConfig

    svc.store.save_model_config(LOCAL, ModelConfig(name="team-gpt", provider="openai",
                                                   model="gpt-4o"))
    at = builder()
    good = dump_yaml(load_bundled_template("writer_with_critic"))
    text_box(at).set_value(good).run()
    at.button(key="builder_text_apply").click().run()
    select_agent(at, 1)
    labels = at.selectbox(key=form_key(at, "model")).options
    # each model by its label, then the name the text uses; the template's own say so
    assert labels[:3] == ["(no model)", "Demo model (offline) · main (this template's own)",
                          "Demo model (offline) · demo"], labels
    assert labels[-1] == "team-gpt"
    picker = [label.rsplit(" · ", 1)[-1].removesuffix(" (this template's own)")
              for label in labels]
    typo = good.replace("  system_message: |-\n    You are a writer",
                        "  sytem_message: |-\n    You are a writer")
    typo = typo.replace("  model: main\npattern:", "  model: gpt-9\npattern:")
    typo = typo.replace("  starter: user", "  starter: nobody")
    text_box(at).set_value(typo).run()
    at.button(key="builder_text_apply").click().run()
    assert not at.exception, at.exception
    (error,) = at.error
    assert "Not applied: the text has 4 problems" in error.body
    assert "Agent “writer” › sytem\\_message: 'sytem\\_message' is not a setting here; did you " \
           "mean 'system\\_message' (System message)?" in error.body
    assert "Conversation › Who starts: 'nobody' is not an agent of this team" in error.body
    offered = (f"this template's {picker[1]}; built in\\: {', '.join(picker[2:-1])}; added on "
               f"the Models page\\: {picker[-1]}. Pick one of those or add a model on the Models "
               "page.")
    assert f"Agent “critic” › Model: 'gpt-9' is not one of the models you can pick. The Model " \
           f"list offers {offered}" in error.body
    assert text_box(at).value == typo, "what the person typed is still in the box"


def text_box(at: AppTest):  # noqa: ANN201
    return next(t for t in at.text_area if t.label.startswith("The template as"))


def _yaml_typed_then_json(at: AppTest) -> tuple[AppTest, str]:
    """A team applied from YAML, more YAML typed and not applied, then a look at JSON;
    returns the app and the typed YAML."""
    text_box(at).set_value(dump_yaml(load_bundled_template("writer_with_critic"))).run()
    at.button(key="builder_text_apply").click().run()
    mine = text_box(at).value + "# my notes, not applied yet\n"
    text_box(at).set_value(mine).run()
    at.radio(key="builder_text_format").set_value("JSON").run()
    return at, mine


def test_unapplied_text_survives_a_look_at_json_and_a_change_elsewhere(builder) -> None:
    at, mine = _yaml_typed_then_json(builder())
    assert text_box(at).value.startswith("{")
    assert any("Your YAML edits are not applied yet" in c.value for c in at.caption)
    at.radio(key="builder_text_format").set_value("YAML").run()
    assert text_box(at).value == mine, "typed text is kept while the person looks at JSON"

    at.text_input(key=meta_key(at, "name")).set_value("Renamed in the form").run()
    assert "name: Renamed in the form" in text_box(at).value, "the box shows the new draft"
    assert any("Your earlier YAML edits were not applied" in w.body for w in at.warning)
    at.button(key="builder_text_put_back").click().run()
    assert not at.exception, at.exception
    assert text_box(at).value == mine
    assert not any("earlier YAML edits" in w.body for w in at.warning)
    at.button(key="builder_text_apply").click().run()
    assert spec_of(at).name == "Writer with a nested critic" and not at.error
    assert "builder_text_edited" not in at.session_state, "applied: nothing is pending"


def test_applying_json_keeps_the_unapplied_yaml_to_put_back(builder) -> None:
    at, mine = _yaml_typed_then_json(builder())
    text_box(at).set_value(text_box(at).value.replace("Writer with a nested critic",
                                                      "Renamed in JSON")).run()
    at.button(key="builder_text_apply").click().run()
    assert spec_of(at).name == "Renamed in JSON" and not at.error
    at.radio(key="builder_text_format").set_value("YAML").run()
    assert "name: Renamed in JSON" in text_box(at).value, "the box shows the new draft"
    assert any("Your earlier YAML edits were not applied" in w.body for w in at.warning)
    at.button(key="builder_text_put_back").click().run()
    assert text_box(at).value == mine


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


def test_a_bundled_template_opens_as_a_copy_and_runs_beside_the_canvas_unsaved(builder,
                                                                               svc) -> None:
    at = builder()
    at.selectbox(key="builder_open_select").set_value("writer_with_critic").run()
    at.button(key="builder_open").click().run()
    spec = spec_of(at)
    assert spec.name.endswith("(my copy)")
    assert not at.button(key="builder_run").disabled
    at.button(key="builder_run").click().run()
    assert not at.exception, at.exception
    assert svc.store.list_templates(LOCAL) == [], "running a draft never adds a Gallery entry"
    (run,) = svc.store.list_runs(LOCAL)
    assert (run.template_name, run.task) == (f"{spec.name} (draft)", spec.default_task)
    assert at.session_state["builder_side"] == "test", "the test panel shows the run"
    assert svc.manager.get(LOCAL, run.id).wait(60)
    at.run()
    assert any("The run ended:" in s.body for s in at.success)


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


def test_a_blank_canvas_shows_no_problems_until_the_person_acts(builder) -> None:
    at = builder()
    at.button(key="builder_new").click().run()
    assert not at.error and not [e for e in at.expander if "before it can run" in e.label]
    assert any("Start by dragging an agent" in i.body for i in at.info)
    add(at, "assistant")
    assert any("things to do before it can run" in e.label for e in at.expander)
    assert "Connect at least two agents" in errors_text(at)


def test_an_actions_notice_outlasts_the_pages_own_redraws_until_the_draft_changes(
        builder) -> None:
    def notices(at: AppTest) -> str:
        return "\n".join(n.body for n in [*at.info, *at.success])

    at = builder()
    at.button(key="builder_new").click().run()
    assert "New team: add agents" in notices(at)
    # the canvas reports its drawing right after: the page runs again on its own (the
    # notice went with that run, before a person could read it)
    at.run()
    assert "New team: add agents" in notices(at)
    add(at, "assistant")  # the person acts: the notice has done its job
    assert "New team: add agents" not in notices(at)
    at.run()
    assert "New team: add agents" not in notices(at)
    # nor is it news after the person went to another page and came back to the same draft
    at.button(key="builder_new").click().run()
    assert "New team: add agents" in notices(at)
    at.switch_page("views/gallery.py").run()
    at.switch_page(builder_page()).run()
    assert not at.exception and "New team: add agents" not in notices(at)


def test_open_takes_the_template_picked_when_it_is_clicked(builder) -> None:
    at = builder()
    # the choice and the click reach the page together (a click right after choosing)
    at.selectbox(key="builder_open_select").set_value("debate_judge")
    at.button(key="builder_open").click().run()
    assert spec_of(at).name == "Debate with a judge (my copy)"


def test_an_agent_dragged_from_the_palette_lands_where_it_was_dropped(builder) -> None:
    at = builder()
    at.button(key="builder_new").click().run()
    at.text_input(key="builder_drop").input("planner|240.5|130|1").run()
    spec = spec_of(at)
    assert spec.agent_names == ["planner"]
    assert (spec.layout["planner"].x, spec.layout["planner"].y) == (240.5, 130.0)
    at.run()
    assert spec_of(at).agent_names == ["planner"], "a drop is taken once"


def test_the_safeguard_clearance_survives_form_edits_and_follows_a_rename(builder, svc) -> None:
    doc = load_bundled_template("safeguarded_code").to_dict()
    svc.store.save_draft(LOCAL, doc, None)
    at = builder()
    select_agent(at, 0)  # the commander
    assert any("has checked with" in c.value and "safeguard" in c.value for c in at.caption)
    at.number_input(key=form_key(at, "timeout")).set_value(12).run()
    code = spec_of(at).agents[0].code_execution
    assert (code.timeout, code.cleared_by.agent) == (12, "safeguard"), "editing keeps the gate"
    name_input(at, 2).set_value("guard").run()
    assert spec_of(at).agents[0].code_execution.cleared_by.agent == "guard"


def test_a_late_report_of_the_earlier_drawing_does_not_undo_a_change(builder) -> None:
    at = builder()
    at.button(key="builder_new").click().run()
    at.button(key="builder_shape_group").click().run()
    assert len(spec_of(at).agents) == 4
    # the blank canvas reports itself after the team was pushed (its clock ran ahead)
    reported = int(time.time() * 1000) + 500
    at.session_state["builder_canvas"] = {"nodes": [], "edges": [], "selectedId": None,
                                          "timestamp": reported}
    at.run()
    assert not at.exception, at.exception
    assert len(spec_of(at).agents) == 4, "the team chosen is kept"
    # the canvas refuses a push older than its last change, so it still shows the blank
    # canvas: the team is pushed again, newer than that report
    pushed = at.session_state["builder_flow_state"]
    assert len(pushed.nodes) == 4
    assert pushed.timestamp > reported, "the canvas would refuse this push and stay blank"
    # a deletion made on the canvas showing the team still counts
    state = at.session_state["builder_flow_state"]
    at.session_state["builder_canvas"] = {
        "nodes": [n.asdict() for n in state.nodes if n.id != "n3"],
        "edges": [], "selectedId": None, "timestamp": int(time.time() * 1000) + 1000}
    at.run()
    assert len(spec_of(at).agents) == 3


def report(at: AppTest, ids: list[str], timestamp: int) -> AppTest:
    """What the canvas sends back when it shows the nodes ``ids`` of the last push."""
    state = at.session_state["builder_flow_state"]
    at.session_state["builder_canvas"] = {
        "nodes": [n.asdict() for n in state.nodes if n.id in ids], "edges": [],
        "selectedId": None, "timestamp": timestamp}
    return at.run()


def test_the_old_drawing_reported_again_never_deletes_and_a_real_deletion_counts(
        builder) -> None:
    at = builder()
    at.button(key="builder_new").click().run()
    add(at, "assistant")
    report(at, ["n0"], at.session_state["builder_flow_state"].timestamp + 10)  # shown
    add(at, "critic")
    names = [a.name for a in spec_of(at).agents]
    assert len(names) == 2
    # the canvas refused the push of the second agent: it reports the old drawing, twice
    # (its own change after it), each time later than the push the page made last
    for _ in range(2):
        report(at, ["n0"], at.session_state["builder_flow_state"].timestamp + 100)
        assert [a.name for a in spec_of(at).agents] == names, "an agent the canvas never showed"
        pushed = at.session_state["builder_flow_state"]
        assert {n.id for n in pushed.nodes} == {"n0", "n1"}
    # the canvas shows both, then the person deletes the second one there: it goes
    report(at, ["n0", "n1"], pushed.timestamp + 10)
    report(at, ["n0"], pushed.timestamp + 20)
    assert [a.name for a in spec_of(at).agents] == names[:1]


def click_node(at: AppTest, index: int, *, timestamp: int | None = None) -> AppTest:
    """What the canvas sends back when a node is clicked (``timestamp``: the browser's)."""
    state = at.session_state["builder_flow_state"]
    at.session_state["builder_canvas"] = {
        "nodes": [n.asdict() for n in state.nodes], "edges": [e.asdict() for e in state.edges],
        "selectedId": f"n{index}",
        "timestamp": timestamp if timestamp is not None else int(time.time() * 1000)}
    return at.run()


def shown_agent(at: AppTest) -> str | None:
    """The name in the agent form beside the canvas (None: no form)."""
    boxes = [t for t in at.text_input if t.key and t.key.startswith(
        f"{at.session_state.get('builder_form_prefix', '?')}_name_")]
    return boxes[0].value if boxes else None


def test_the_form_stays_on_an_agent_renamed_in_it_and_follows_the_next_click(builder) -> None:
    at = builder()
    at.button(key="builder_new").click().run()
    at.button(key="builder_shape_group").click().run()
    names = [a.name for a in spec_of(at).agents]
    click_node(at, 1)
    assert shown_agent(at) == names[1]
    at.text_input(key=form_key(at, "name")).set_value("renamed").run()
    at.run()  # the page's next run (the browser reports its widgets again)
    assert not at.exception, at.exception
    assert shown_agent(at) == "renamed", "the renamed agent's form is still shown"
    click_node(at, 2)
    at.run()
    assert shown_agent(at) == names[2]
    picker = next(s for s in at.selectbox if s.label == "Agent")
    assert picker.value == 2


def test_a_click_sent_just_before_a_redraw_reached_the_canvas_still_selects(builder) -> None:
    at = builder()
    at.button(key="builder_new").click().run()
    at.button(key="builder_shape_group").click().run()
    click_node(at, 1)
    pushed = at.session_state["builder_flow_state"].timestamp
    # clicked in the browser before the latest drawing (a new border) reached the canvas
    click_node(at, 2, timestamp=pushed - 50)
    assert shown_agent(at) == spec_of(at).agents[2].name


def test_a_test_run_is_labelled_demo_and_a_new_team_starts_afresh(builder,
                                                                   svc) -> None:
    at = builder()
    at.selectbox(key="builder_open_select").set_value("writer_with_critic").run()
    at.button(key="builder_open").click().run()
    at.button(key="builder_run").click().run()
    assert not at.exception, at.exception
    (run,) = svc.store.list_runs(LOCAL)
    assert svc.manager.get(LOCAL, run.id).wait(60)
    at.run()
    assert any("scripted rehearsal" in i.body for i in at.info), "a Demo run says what it is"
    task = at.session_state["builder_test_task"]
    at.button(key="builder_new").click().run()
    assert "builder_test_run" not in at.session_state, "the last team's run is not shown"
    assert at.session_state["builder_test_task"] != task
