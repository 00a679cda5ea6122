"""The one import function (Gallery and CLI alike): its plan, and its rule for names in use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.runs import apply_import, find_template, plan_import
from studio.spec import export_file, load_bundled_template
from studio.store import Actor

LOCAL = Actor.local()

FIXTURES = Path(__file__).resolve().parents[1] / "spec" / "fixtures"


def _import(content, filename, store, registry):
    plan = plan_import(content, filename, store=store, actor=LOCAL, registry=registry)
    assert plan.ok, plan.problems
    return plan, apply_import(plan, store=store, actor=LOCAL, registry=registry)


def _names(store) -> list[str]:
    return sorted(info.name for info in store.list_templates(LOCAL))


def test_a_free_name_is_kept_and_the_same_file_twice_adds_nothing(store, registry):
    content = (FIXTURES / "autogen04_selector.json").read_bytes()
    plan = plan_import(content, "team.json", store=store, actor=LOCAL, registry=registry)
    assert _names(store) == []  # planning stores nothing
    (item,) = plan.items
    assert (item.action, item.name) == ("add", "Travel Planning Team")
    assert item.plan_line() == "'Travel Planning Team' will be added"
    assert item.mapped and item.not_mapped and item.warnings
    apply_import(plan, store=store, actor=LOCAL, registry=registry)
    assert _names(store) == ["Travel Planning Team"]

    again, stored = _import(content, "team.json", store, registry)
    (item,) = again.items
    assert item.action == "unchanged" and item.name == "Travel Planning Team"
    assert "already in your templates" in item.plan_line()
    assert again.to_add == [] and [i.action for i in stored] == ["unchanged"]
    assert _names(store) == ["Travel Planning Team"]
    assert len(store.template_versions(LOCAL, "Travel Planning Team")) == 1  # not a new version


def test_a_different_team_under_a_name_in_use_gets_a_suffix_and_changes_nothing(store, registry):
    data = json.loads((FIXTURES / "autogen04_selector.json").read_text())
    _import(json.dumps(data), "a.json", store, registry)
    before = store.get_template(LOCAL, "Travel Planning Team").document
    data["config"]["participants"][1]["config"]["system_message"] = "Another planner."
    plan, _ = _import(json.dumps(data), "b.json", store, registry)
    (item,) = plan.items
    assert (item.action, item.name) == ("rename", "Travel Planning Team (imported)")
    assert item.plan_line() == (
        "'Travel Planning Team' will be added as 'Travel Planning Team (imported)': you have a "
        "template named 'Travel Planning Team', which stays as it is")
    assert store.get_template(LOCAL, "Travel Planning Team").document == before
    assert store.get_template(LOCAL, "Travel Planning Team (imported)").document["name"] == \
        "Travel Planning Team (imported)"
    data["config"]["participants"][1]["config"]["system_message"] = "A third planner."
    plan, _ = _import(json.dumps(data), "c.json", store, registry)
    assert plan.items[0].name == "Travel Planning Team (imported 2)"
    # the second file again: it matches the earlier import of it, nothing is added
    data["config"]["participants"][1]["config"]["system_message"] = "Another planner."
    plan, _ = _import(json.dumps(data), "b.json", store, registry)
    assert (plan.items[0].action, plan.items[0].name) == (
        "unchanged", "Travel Planning Team (imported)")
    assert len(_names(store)) == 3


def test_bundled_names_are_never_shadowed(store, registry):
    spec = load_bundled_template("writer_with_critic")
    same = export_file(spec, "yaml")
    plan, _ = _import(same, "w.yaml", store, registry)
    assert plan.items[0].action == "unchanged"  # the bundled template itself: nothing to add
    assert _names(store) == []

    changed = spec.to_dict()
    changed["description"] = "My own version."
    plan, _ = _import(json.dumps(changed), "w.json", store, registry)
    (item,) = plan.items
    assert (item.action, item.name) == ("rename", f"{spec.name} (imported)")
    assert "a bundled template is named" in item.plan_line()
    assert _names(store) == [f"{spec.name} (imported)"]
    # what was stored is what people find by name
    name, found = find_template(f"{spec.name} (imported)", store=store, registry=registry, actor=LOCAL)
    assert found.description == "My own version."


def test_a_name_in_the_trash_is_not_reused(store, registry):
    spec = load_bundled_template("tool_helper").to_dict()
    spec["name"] = "Mine"
    _import(json.dumps(spec), "m.json", store, registry)
    store.delete_template(LOCAL, "Mine")
    spec["description"] = "changed"
    plan, _ = _import(json.dumps(spec), "m.json", store, registry)
    assert plan.items[0].name == "Mine (imported)"
    assert "in the trash" in plan.items[0].why


def test_two_templates_of_one_bundle_that_clash_with_the_store(store, registry):
    a = load_bundled_template("tool_helper").to_dict() | {"name": "Alpha"}
    _import(json.dumps(a), "a.json", store, registry)
    b = dict(a, description="other")
    bundle = {"kind": "roundtable-bundle", "format": 1,
              "templates": [b, dict(a, name="Beta")]}
    plan, _ = _import(json.dumps(bundle), "bundle.json", store, registry)
    assert [(i.action, i.name) for i in plan.items] == [("rename", "Alpha (imported)"),
                                                        ("add", "Beta")]
    assert _names(store) == ["Alpha", "Alpha (imported)", "Beta"]


@pytest.mark.parametrize("content", [b"{not json", b"just: [a, list", b"42",
                                     b'{"hello": "world"}', b""])
def test_a_bad_file_is_a_plan_with_problems_and_stores_nothing(store, registry, content):
    plan = plan_import(content, "x.json", store=store, actor=LOCAL, registry=registry)
    assert not plan.ok and plan.problems and all(plan.problems)
    with pytest.raises(ValueError):
        apply_import(plan, store=store, actor=LOCAL, registry=registry)
    assert _names(store) == []


@pytest.mark.parametrize("typed", [
    "Retrieval-augmented question answering", "retrieval-augmented question answering",
    "retrieval_qa", "retrieval-qa", "Retrieval QA", "  retrieval   augmented_question-answering ",
])
def test_templates_are_found_as_people_type_them(registry, typed):
    name, spec = find_template(typed, store=None, registry=registry)
    assert name == "Retrieval-augmented question answering" == spec.name


def test_stored_names_are_found_the_same_way_and_misses_suggest(store, registry):
    spec = load_bundled_template("tool_helper").to_dict() | {"name": "My tool-using team"}
    _import(json.dumps(spec), "m.json", store, registry)
    assert find_template("my tool using_team", store=store, registry=registry, actor=LOCAL)[0] == \
        "My tool-using team"
    from studio.runs import RunError

    with pytest.raises(RunError, match=r"did you mean 'Retrieval-augmented question answering'"):
        find_template("Retrieval augmented question answerin", store=store, registry=registry, actor=LOCAL)
