"""Templates as files: single JSON/YAML files and all-at-once bundles, good and bad."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from studio.spec import SpecError, bundled_templates, load_bundled_template, load_template
from studio.spec._files import (
    BUNDLE_KIND,
    export_bundle,
    export_bundle_text,
    export_file,
    file_name_for,
    import_bundle,
    import_file,
)


@pytest.fixture(scope="module")
def library():
    return list(bundled_templates().values())


def problems(exc: pytest.ExceptionInfo[SpecError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_every_template_round_trips_as_yaml_and_json(library):
    for spec in library:
        for fmt in ("yaml", "json"):
            text = export_file(spec, fmt)
            got = import_file(text, file_name_for(spec, fmt))
            assert got.source_format == "roundtable"
            assert got.spec == spec
            assert export_file(got.spec, fmt) == text
    assert export_file(library[0], "json").startswith('{\n  "format": 1,')
    with pytest.raises(ValueError, match="use 'yaml' or 'json'"):
        export_file(library[0], "toml")  # type: ignore[arg-type]


def test_bytes_with_a_bom_are_read(library):
    data = b"\xef\xbb\xbf" + export_file(library[0], "yaml").encode()
    assert import_file(data, "t.yaml").spec == library[0]


def test_file_names_are_safe():
    spec = load_bundled_template("planning_group")
    assert file_name_for(spec) == "plan_code_and_review_group_chat.yaml"
    assert file_name_for(spec, "json").endswith(".json")


def test_bundle_backs_up_and_restores_everything(library):
    data = export_bundle(library)
    assert data["kind"] == BUNDLE_KIND and data["count"] == len(library) >= 12
    restored = import_bundle(json.loads(json.dumps(data)))
    assert restored == library
    as_text = export_bundle_text(library)
    assert import_bundle(as_text) == library
    assert import_bundle(export_bundle_text(library, "yaml").encode()) == library
    found = import_file(as_text, "backup.json")
    assert found.source_format == "roundtable-bundle" and found.specs == library
    with pytest.raises(ValueError, match="holds 1[0-9] templates"):
        _ = found.spec
    assert import_bundle([s.to_dict() for s in library[:2]]) == library[:2]  # a bare list


def test_a_bad_bundle_imports_nothing_and_names_every_problem(library):
    data = export_bundle(library[:3])
    data["templates"][1]["pattern"]["starter"] = "nobody"
    data["templates"][2]["agents"][0]["kind"] = "robot"
    with pytest.raises(SpecError) as exc:
        import_bundle(json.dumps(data), source="backup.json")
    said = problems(exc)
    assert any(s.startswith("backup.json: templates[1].pattern.starter") for s in said), said
    assert any(s.startswith("backup.json: templates[2].agents[0].kind") for s in said), said
    assert all(not s.startswith("backup.json: templates[0]") for s in said)


def test_bundle_names_must_be_unique(library):
    data = export_bundle(library[:1])
    data["templates"].append(data["templates"][0])
    with pytest.raises(SpecError, match="two templates are named"):
        import_bundle(data)
    with pytest.raises(ValueError, match="must be unique"):
        export_bundle([library[0], library[0]])


def test_bundle_shape_errors():
    with pytest.raises(SpecError, match="unsupported bundle format 7"):
        import_bundle({"kind": BUNDLE_KIND, "format": 7, "templates": []})
    with pytest.raises(SpecError, match="a bundle needs a list of templates"):
        import_bundle({"kind": BUNDLE_KIND, "templates": {}})
    with pytest.raises(SpecError, match=r"b.json: templates\[0\]: a template must be a mapping"):
        import_bundle({"kind": BUNDLE_KIND, "templates": ["x"]}, source="b.json")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "t.yaml: the file is empty"),
    (b"\xff\xfe\x00bad", "t.yaml: not UTF-8 text"),
    ("name: [unclosed", "t.yaml: not valid YAML/JSON (line 1"),
    ("- just\n- a list of words\n", "t.yaml: [0]: a template must be a mapping"),
    ("42", "t.yaml: expected a template"),
    ("title: My notes\nbody: hello\n", "t.yaml: not a template"),
])
def test_bad_files_say_what_is_wrong(content, message):
    with pytest.raises(SpecError) as exc:
        import_file(content, "t.yaml")
    assert any(s.startswith(message) for s in problems(exc)), problems(exc)


def test_a_bad_template_file_points_at_the_field():
    doc = yaml.safe_load(export_file(load_bundled_template("tool_helper")))
    doc["agents"][1]["tools"] = ["calculator", "serch"]
    with pytest.raises(SpecError) as exc:
        import_file(yaml.safe_dump(doc), "team.yaml")
    said = problems(exc)
    assert any(s.startswith("team.yaml: agents[1].tools[1]") and "serch" in s for s in said), said
    doc["agents"][1]["tools"] = ["calculator"]
    doc["agents"][0]["api_key"] = "sk-nope"
    with pytest.raises(SpecError) as exc:
        import_file(json.dumps(doc), "team.json")
    assert any(s.startswith("team.json: agents[0].api_key") and "never stored" in s
               for s in problems(exc)), problems(exc)


@pytest.mark.parametrize("filename", ["x.python", "x.py", "export.txt"])
def test_python_exports_are_refused_as_such(filename):
    from studio.spec import export_script

    script = export_script(load_bundled_template("tool_helper"))
    with pytest.raises(SpecError) as exc:
        import_file(script.encode(), filename)
    (said,) = problems(exc)
    assert said.startswith(f"{filename}: Python exports cannot be imported")
    assert "YAML or JSON export" in said


@pytest.mark.parametrize("script", ["import os\nprint(os.getcwd())\n",
                                    "def f(x):\n    return {'a': x}\n"])
def test_any_python_file_is_refused_as_such(script):
    with pytest.raises(SpecError, match="Python exports cannot be imported"):
        import_file(script, "notes.txt")


def test_a_huge_team_is_refused_with_one_short_problem_naming_the_cap():
    doc = {"format": 1, "name": "Crowd", "pattern": {"kind": "group"},
           "agents": [{"name": f"a{i}", "kind": "assistant"} for i in range(10_000)]}
    with pytest.raises(SpecError) as exc:
        import_file(json.dumps(doc), "crowd.json")
    assert problems(exc) == ["crowd.json: agents: a template has at most 100 agents; this one "
                             "has 10,000"]
    assert len(str(exc.value)) < 200


def test_a_template_larger_than_the_cap_says_the_cap():
    doc = {"format": 1, "name": "Novel", "description": "x" * 2_100_000}
    with pytest.raises(SpecError) as exc:
        import_file(yaml.safe_dump(doc), "novel.yaml")
    assert problems(exc) == ["novel.yaml: the template is 2.1 MB; a template is at most 2 MB"]
    with pytest.raises(SpecError) as exc:  # typed or pasted text (the Builder's text view)
        load_template(yaml.safe_dump(doc))
    assert [str(p) for p in exc.value.problems] == [
        "the text is 2.1 MB; a template is at most 2 MB"]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "- " * 100_000 + "x",
                                  "a: " + "{b: " * 100_000 + "1" + "}" * 100_000],
                         ids=["json-lists", "yaml-dashes", "yaml-flow-mappings"])
def test_deep_nesting_is_refused_without_crashing(text, tmp_path):
    """libyaml's loader crashes the whole process on deep nesting: checked before it runs
    (in a child process, so a crash fails this test instead of ending the suite)."""
    (tmp_path / "deep.yaml").write_text(text)
    code = ("import sys; from studio.spec import SpecError; from studio.spec._files import "
            "import_file\ntry:\n    import_file(open(sys.argv[1]).read(), 'deep.yaml')\n"
            "except SpecError as exc:\n    print(exc.problems[0])")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "deep.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.strip() == ("deep.yaml: nested more than 64 levels deep: a template "
                                   "nests at most 64 levels")


def test_yaml_aliases_are_refused():
    with pytest.raises(SpecError, match=r"YAML aliases \(\*x\) are not supported"):
        import_file("format: 1\nname: &x Loop\ndescription: *x\n", "alias.yaml")


def test_long_problem_lists_are_summarised():
    doc = yaml.safe_load(export_file(load_bundled_template("tool_helper")))
    doc["agents"] = [dict(doc["agents"][1], name=f"bad name {i}") for i in range(40)]
    with pytest.raises(SpecError) as exc:
        import_file(json.dumps(doc), "team.json")
    message = str(exc.value).splitlines()
    assert len(exc.value.errors) > 40
    assert len(message) == 12  # the count, ten problems, and how many more
    assert message[-1] == f"  ... and {len(exc.value.errors) - 10} more problems"
    doc = yaml.safe_load(export_file(load_bundled_template("tool_helper")))
    doc["agents"][1]["model"] = "x" * 5000
    with pytest.raises(SpecError) as exc:
        import_file(json.dumps(doc), "team.json")
    assert all(len(p) < 300 for p in problems(exc)), problems(exc)
