"""Templates: versions, restore, soft delete + undo, duplicate, rename."""

from __future__ import annotations

import pytest

from studio.store import Actor, AlreadyExists, NotFound, Store, StoreError

LOCAL = Actor.local()

DOC_V1 = {"format": 1, "agents": [{"name": "writer"}], "pattern": {"type": "two_agent"}}
DOC_V2 = {"format": 1, "agents": [{"name": "writer"}, {"name": "critic"}], "pattern": {}}


def test_every_save_is_a_new_version(store: Store) -> None:
    first = store.save_template(LOCAL, "Essay", DOC_V1, description="one", tags=["a"], note="start")
    second = store.save_template(LOCAL, "Essay", DOC_V2, description="two", tags=["a", "b"])

    assert (first.version, second.version) == (1, 2)
    assert store.get_template(LOCAL, "Essay").document == DOC_V2
    assert store.get_template(LOCAL, "Essay", 1).document == DOC_V1
    assert [v.version for v in store.template_versions(LOCAL, "Essay")] == [2, 1]
    assert store.template_versions(LOCAL, "Essay")[1].note == "start"
    [info] = store.list_templates(LOCAL)
    assert (info.name, info.description, info.tags, info.latest_version) == (
        "Essay",
        "two",
        ("a", "b"),
        2,
    )


def test_returned_documents_are_copies(store: Store) -> None:
    doc = {"agents": [{"name": "a"}]}
    store.save_template(LOCAL, "T", doc)
    doc["agents"].append({"name": "mutated"})
    loaded = store.get_template(LOCAL, "T")
    loaded.document["agents"].clear()
    assert store.get_template(LOCAL, "T").document == {"agents": [{"name": "a"}]}


def test_restore_version_makes_a_new_version_with_old_content(store: Store) -> None:
    store.save_template(LOCAL, "Essay", DOC_V1, description="one")
    store.save_template(LOCAL, "Essay", DOC_V2, description="two")

    restored = store.restore_version(LOCAL, "Essay", 1)

    assert restored.version == 3
    assert restored.document == DOC_V1
    assert restored.description == "one"
    assert "version 1" in restored.note
    assert store.get_template(LOCAL, "Essay").document == DOC_V1
    assert [v.version for v in store.template_versions(LOCAL, "Essay")] == [3, 2, 1]
    with pytest.raises(NotFound, match="Essay v9"):
        store.restore_version(LOCAL, "Essay", 9)


def test_soft_delete_and_undo(store: Store) -> None:
    store.save_template(LOCAL, "Keep", DOC_V1)
    store.save_template(LOCAL, "Gone", DOC_V1)
    store.save_template(LOCAL, "Gone", DOC_V2)

    store.delete_template(LOCAL, "Gone")

    assert [t.name for t in store.list_templates(LOCAL)] == ["Keep"]
    deleted = [t for t in store.list_templates(LOCAL, include_deleted=True) if t.deleted]
    assert [t.name for t in deleted] == ["Gone"]
    with pytest.raises(NotFound) as caught:
        store.get_template(LOCAL, "Gone")
    assert caught.value.name == "Gone" and "Gone" in str(caught.value)

    info = store.undelete_template(LOCAL, "Gone")

    assert not info.deleted
    assert [t.name for t in store.list_templates(LOCAL)] == ["Gone", "Keep"]
    assert [v.version for v in store.template_versions(LOCAL, "Gone")] == [2, 1]


def test_purge_removes_for_good(store: Store) -> None:
    store.save_template(LOCAL, "Old", DOC_V1)
    store.delete_template(LOCAL, "Old")
    store.purge_template(LOCAL, "Old")
    assert store.list_templates(LOCAL, include_deleted=True) == []
    assert store.save_template(LOCAL, "Old", DOC_V2).version == 1


def test_duplicate_copies_the_latest_version(store: Store) -> None:
    store.save_template(LOCAL, "Essay", DOC_V1, description="d", tags=["x"])
    store.save_template(LOCAL, "Essay", DOC_V2, description="d2", tags=["y"])

    copy = store.duplicate_template(LOCAL, "Essay", "Essay (copy)")

    assert copy.version == 1
    assert copy.document == DOC_V2
    assert copy.tags == ("y",)
    assert len(store.template_versions(LOCAL, "Essay (copy)")) == 1
    assert len(store.template_versions(LOCAL, "Essay")) == 2
    with pytest.raises(AlreadyExists, match="Essay"):
        store.duplicate_template(LOCAL, "Essay (copy)", "Essay")


def test_rename_keeps_versions(store: Store) -> None:
    store.save_template(LOCAL, "Draft", DOC_V1)
    store.save_template(LOCAL, "Draft", DOC_V2)
    store.save_template(LOCAL, "Other", DOC_V1)

    store.rename_template(LOCAL, "Draft", "Final")

    assert [v.version for v in store.template_versions(LOCAL, "Final")] == [2, 1]
    with pytest.raises(NotFound):
        store.get_template(LOCAL, "Draft")
    with pytest.raises(AlreadyExists):
        store.rename_template(LOCAL, "Final", "Other")


def test_bad_input_is_refused_clearly(store: Store) -> None:
    with pytest.raises(StoreError, match="non-empty name"):
        store.save_template(LOCAL, "  ", DOC_V1)
    with pytest.raises(StoreError, match="JSON object"):
        store.save_template(LOCAL, "T", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="template 'nope' not found"):
        store.template_versions(LOCAL, "nope")
