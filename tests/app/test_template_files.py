"""Import/export of template files from the Gallery (the pure helpers + the section renders)."""

from __future__ import annotations

import json
from pathlib import Path

from studio.app.widgets.template_files import (
    export_all_text,
    read_upload,
    save_imported,
    stored_specs,
    unique_name,
)
from studio.spec import export_file, load_bundled_template
from studio.store import Actor, Store

LOCAL = Actor.local()

FIXTURES = Path(__file__).resolve().parents[1] / "spec" / "fixtures"


def _names(store: Store) -> list[str]:
    return [info.name for info in store.list_templates(LOCAL)]


def test_gallery_shows_the_import_export_section(app) -> None:
    at = app()
    assert not at.exception, at.exception
    assert not at.error, [e.body for e in at.error]
    assert any(e.label == "Import or export templates" for e in at.expander)
    select = at.selectbox(key="template_export_select")
    assert "Writer with a nested critic" in select.options
    select.set_value("writer_with_critic").run()
    assert not at.exception, at.exception
    keys = {b.key for b in at.get("download_button")}
    assert {"template_export_yaml", "template_export_json", "template_export_python"} <= keys


def test_autogen_team_is_reported_then_stored(svc) -> None:
    content = (FIXTURES / "autogen04_selector.json").read_bytes()
    preview = read_upload(content, "autogen04_selector.json", svc.registry)
    assert preview.ok and preview.source_format == "autogen-0.4"
    (item,) = preview.items
    assert item.spec.name == "Travel Planning Team"
    assert item.mapped and item.not_mapped and item.warnings
    assert any("memory" in line for line in item.not_mapped)
    assert _names(svc.store) == []  # reading stores nothing
    assert save_imported(preview, svc.store, LOCAL, svc.registry) == ["Travel Planning Team"]
    assert _names(svc.store) == ["Travel Planning Team"]
    # the same file again does not overwrite: it gets a suffix, then a number
    assert save_imported(preview, svc.store, LOCAL, svc.registry) == ["Travel Planning Team (imported)"]
    assert save_imported(preview, svc.store, LOCAL, svc.registry) == [
        "Travel Planning Team (imported 2)"]


def test_a_bundled_name_is_not_shadowed(svc) -> None:
    spec = load_bundled_template("writer_with_critic")
    preview = read_upload(export_file(spec, "yaml").encode(), "w.yaml", svc.registry)
    assert preview.ok and preview.source_format == "roundtable"
    (name,) = save_imported(preview, svc.store, LOCAL, svc.registry)
    assert name == f"{spec.name} (imported)"
    assert svc.store.get_template(LOCAL, name).document["name"] == name


def test_bad_file_names_the_place_and_stores_nothing(svc) -> None:
    spec = load_bundled_template("writer_with_critic")
    good = spec.to_dict()
    bad = dict(good, name="Broken one", agents=[dict(good["agents"][0], name="")])
    bundle = {"kind": "roundtable-bundle", "format": 1, "templates": [good, bad]}
    preview = read_upload(json.dumps(bundle).encode(), "mine.json", svc.registry)
    assert not preview.ok
    assert any("mine.json" in p and "templates[1]" in p for p in preview.problems), \
        preview.problems
    assert _names(svc.store) == []

    for content in (b"{not json", b"just: [a, list", b"42", b'{"hello": "world"}'):
        preview = read_upload(content, "x.json", svc.registry)
        assert not preview.ok and preview.problems
        assert all(p for p in preview.problems)
    assert _names(svc.store) == []


def test_bundle_of_my_templates_restores_into_an_empty_store(svc, tmp_path) -> None:
    for fixture in ("autogen04_team.json", "autogen02_workflow.json"):
        preview = read_upload((FIXTURES / fixture).read_bytes(), fixture, svc.registry)
        assert preview.ok, preview.problems
        save_imported(preview, svc.store, LOCAL, svc.registry)
    mine = {s.name: s.to_dict() for s in stored_specs(svc.store, LOCAL, svc.registry)}
    assert len(mine) >= 2
    text = export_all_text(svc.store, LOCAL, svc.registry)

    empty = Store.open(None, tmp_path / "other")
    try:
        preview = read_upload(text.encode(), "roundtable_templates.json", svc.registry)
        assert preview.ok and preview.source_format == "roundtable-bundle"
        assert sorted(save_imported(preview, empty, LOCAL, svc.registry)) == sorted(mine)
        for name, document in mine.items():
            assert empty.get_template(LOCAL, name).document == document
    finally:
        empty.close()


def test_unique_name() -> None:
    assert unique_name("A", set()) == "A"
    assert unique_name("A", {"a"}) == "A (imported)"
    assert unique_name("A", {"a", "a (imported)"}) == "A (imported 2)"
