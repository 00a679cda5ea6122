"""Import/export of template files from the Gallery (the pure helpers + the section renders)."""

from __future__ import annotations

import json
from pathlib import Path

from markdown_it import MarkdownIt

from studio.app.widgets.template_files import export_all_text, stored_specs
from studio.runs import apply_import, plan_import
from studio.spec import dump_yaml, load_bundled_template
from studio.store import Actor, Store

LOCAL = Actor.local()

FIXTURES = Path(__file__).resolve().parents[1] / "spec" / "fixtures"


def read_upload(content, filename, registry, store):
    return plan_import(content, filename, store=store, actor=LOCAL, registry=registry)


def save_imported(plan, store, registry) -> list[str]:
    return [i.name for i in apply_import(plan, store=store, actor=LOCAL, registry=registry)
            if i.action != "unchanged"]


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


def test_bad_file_names_the_place_and_stores_nothing(svc) -> None:
    spec = load_bundled_template("writer_with_critic")
    good = spec.to_dict()
    bad = dict(good, name="Broken one", agents=[dict(good["agents"][0], name="")])
    bundle = {"kind": "roundtable-bundle", "format": 1, "templates": [good, bad]}
    preview = read_upload(json.dumps(bundle).encode(), "mine.json", svc.registry, svc.store)
    assert not preview.ok
    assert any("mine.json" in p and "templates[1]" in p for p in preview.problems), \
        preview.problems
    assert _names(svc.store) == []

    for content in (b"{not json", b"just: [a, list", b"42", b'{"hello": "world"}'):
        preview = read_upload(content, "x.json", svc.registry, svc.store)
        assert not preview.ok and preview.problems
        assert all(p for p in preview.problems)
    assert _names(svc.store) == []


def test_bundle_of_my_templates_restores_into_an_empty_store(svc, tmp_path) -> None:
    for fixture in ("autogen04_team.json", "autogen02_workflow.json"):
        preview = read_upload((FIXTURES / fixture).read_bytes(), fixture, svc.registry, svc.store)
        assert preview.ok, preview.problems
        save_imported(preview, svc.store, svc.registry)
    mine = {s.name: s.to_dict() for s in stored_specs(svc.store, LOCAL, svc.registry)}
    assert len(mine) >= 2
    text = export_all_text(svc.store, LOCAL, svc.registry)

    empty = Store.open(None, tmp_path / "other")
    try:
        preview = read_upload(text.encode(), "roundtable_templates.json", svc.registry, empty)
        assert preview.ok and preview.source_format == "roundtable-bundle"
        assert sorted(save_imported(preview, empty, svc.registry)) == sorted(mine)
        for name, document in mine.items():
            assert empty.get_template(LOCAL, name).document == document
    finally:
        empty.close()



def test_the_gallery_shows_the_name_an_import_will_get(app, svc) -> None:
    """An upload whose name is taken says so before anything is added (AppTest has no file
    uploader: the section's report is checked through the same plan it renders)."""
    spec = load_bundled_template("writer_with_critic").to_dict()
    spec["description"] = "changed"
    plan = read_upload(json.dumps(spec).encode(), "w.json", svc.registry, svc.store)
    (item,) = plan.items
    assert item.action == "rename" and item.name.endswith("(imported)")
    assert save_imported(plan, svc.store, svc.registry) == [item.name]
    at = app()
    assert not at.exception, at.exception
    select = at.selectbox(key="template_export_select")
    assert f"{item.name} (saved)" in select.options  # the app lists what was imported


def _line_of(text: str, needle: str) -> int:
    (number,) = [n for n, row in enumerate(text.split("\n"), 1) if needle in row]
    return number


def test_an_uploaded_file_with_a_typo_names_the_line_and_the_agent(app, svc) -> None:
    """A real upload through the Gallery's file uploader: the problems are said as the
    Builder's text view says them (the line, the agent, the form's label, the path small)."""
    text = dump_yaml(load_bundled_template("writer_with_critic"))
    text = text.replace("  kind: assistant\n  description: Advises",
                        "  kind: asistant\n  description: Advises")
    at = app()
    at.file_uploader(key="template_upload").set_value(("mine.yaml", text.encode(),
                                                       "application/yaml")).run()
    assert not at.exception, at.exception
    (error,) = at.error
    line = _line_of(text, "kind: asistant")
    assert error.body.startswith("**mine.yaml cannot be imported; nothing was stored.**")
    assert f"**Line {line}** · Agent “critic” › Kind: 'asistant' is not one of the choices" \
           in error.body, error.body  # (Markdown: what people typed is shown as typed)
    assert "'assistant' (AI agent)" in error.body  # the choices, in the forms' words
    assert ":small[`agents[2].kind`]" in error.body  # the field path, small
    assert _names(svc.store) == []

    broken = text.replace("- name: critic\n", "- name: critic: strict\n")
    at.file_uploader(key="template_upload").set_value(("broken.yaml", broken.encode(),
                                                       "application/yaml")).run()
    (error,) = at.error
    line = _line_of(broken, "name: critic: strict")
    assert f"The file is not valid YAML at line {line}, column 15" in error.body, error.body
    assert "needs quotes around it" in error.body
    assert f"{line} | - name: critic: strict\n" in error.body  # the line itself, and a caret
    assert f"{' ' * len(str(line))} | {' ' * 14}^" in error.body
    assert _names(svc.store) == []


def test_a_bad_template_in_an_uploaded_bundle_is_named_with_its_agent(app, svc) -> None:
    good = load_bundled_template("tool_helper").to_dict()
    bad = dict(good, name="Other", agents=[dict(good["agents"][0], kind="assistent")])
    text = json.dumps({"kind": "roundtable-bundle", "format": 1, "templates": [good, bad]},
                      indent=1)
    at = app()
    at.file_uploader(key="template_upload").set_value(("all.json", text.encode(),
                                                       "application/json")).run()
    (error,) = at.error
    agent = good["agents"][0]["name"]
    line = _line_of(text, '"kind": "assistent"')
    assert f"**Line {line}** · Template “Other” › Agent “{agent}” › Kind: 'assistent' is " \
           "not one of the choices" in error.body, error.body
    assert ":small[`templates[1].agents[0].kind`]" in error.body


def _html(markdown: str) -> str:
    """Markdown as a browser would show it (CommonMark, as Streamlit's renderer reads it)."""
    return MarkdownIt("commonmark").render(markdown)


def test_a_file_name_that_looks_like_markdown_is_shown_as_it_is(app, svc) -> None:
    """File and template names come from the upload: shown as typed, never as bold or a
    link (in the report, in a bad file's problems, and once added)."""
    spec = load_bundled_template("tool_helper").to_dict()
    spec["name"] = "[team](http://x.example) *one*"
    at = app()
    at.file_uploader(key="template_upload").set_value(
        ("**x**.yaml", json.dumps(spec).encode(), "application/yaml")).run()
    assert not at.exception, at.exception
    report = _html("\n".join(m.value for m in at.markdown))
    assert "<strong>**x**.yaml</strong>: Roundtable template, 1 template." in report, report
    assert "<h5>[team](http://x.example) *one*</h5>" in report, report
    assert "<a " not in report and "<em>" not in report, report
    at.button(key="template_import_add").click().run()
    (added,) = at.success
    assert "<strong>[team](http://x.example) *one*</strong>" in _html(added.body), added.body
    assert _names(svc.store) == ["[team](http://x.example) *one*"]

    for name, content in (("[a](b).json", b"{not json"), ("[a](b)_:x:_.json", b"42")):
        at.file_uploader(key="template_upload").set_value(
            (name, content, "application/json")).run()
        (error,) = at.error
        shown = _html(error.body)
        assert f"<strong>{name} cannot be imported; nothing was stored.</strong>" in shown, shown
        assert "<a " not in shown and "<em>" not in shown, shown
