"""Templates: every save is a new version; soft delete with undo; rename; duplicate."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from ._base import StoreBase
from ._errors import AlreadyExists, NotFound, StoreError
from ._records import TemplateInfo, TemplateVersion
from ._tables import TemplateRow, TemplateVersionRow, now


def _info(row: TemplateRow) -> TemplateInfo:
    return TemplateInfo(
        name=row.name,
        description=row.description,
        tags=tuple(row.tags or ()),
        latest_version=row.latest_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


def _version(name: str, row: TemplateVersionRow) -> TemplateVersion:
    return TemplateVersion(
        name=name,
        version=row.version,
        document=copy.deepcopy(row.document),
        description=row.description,
        tags=tuple(row.tags or ()),
        note=row.note,
        created_at=row.created_at,
    )


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError("a template needs a non-empty name")
    return name.strip()


class TemplatesMixin(StoreBase):
    def _template_row(
        self, session: Session, name: str, *, deleted_ok: bool = False, lock: bool = False
    ) -> TemplateRow:
        query = select(TemplateRow).where(TemplateRow.name == name)
        if lock:
            query = query.with_for_update()
        row = session.exec(query).first()
        if row is None or (row.deleted_at is not None and not deleted_ok):
            raise NotFound("template", name)
        return row

    def _add_version(
        self,
        session: Session,
        row: TemplateRow,
        document: dict[str, Any],
        description: str,
        tags: Iterable[str],
        note: str,
        created_at: float | None = None,
    ) -> TemplateVersion:
        if not isinstance(document, dict):
            raise StoreError(f"template {row.name!r}: the document must be a JSON object")
        assert row.id is not None
        stamp = created_at if created_at is not None else now()
        row.latest_version += 1
        row.description = description
        row.tags = [str(t) for t in tags]
        row.updated_at = stamp
        version = TemplateVersionRow(
            template_id=row.id,
            version=row.latest_version,
            document=copy.deepcopy(document),
            description=description,
            tags=list(row.tags),
            note=note,
            created_at=stamp,
        )
        session.add(row)
        session.add(version)
        session.flush()
        return _version(row.name, version)

    def save_template(
        self,
        name: str,
        document: dict[str, Any],
        *,
        description: str = "",
        tags: Iterable[str] = (),
        note: str = "",
    ) -> TemplateVersion:
        """Save ``document`` as a new version of template ``name`` (created on first save).
        Saving under the name of a deleted template brings it back."""
        name = _check_name(name)
        with self._write() as session:
            row = session.exec(
                select(TemplateRow).where(TemplateRow.name == name).with_for_update()
            ).first()
            if row is None:
                row = TemplateRow(name=name)
                session.add(row)
                session.flush()
            row.deleted_at = None
            return self._add_version(session, row, document, description, tags, note)

    def get_template(self, name: str, version: int | None = None) -> TemplateVersion:
        """The latest version of ``name`` (or the given ``version``)."""
        with self._read() as session:
            row = self._template_row(session, name)
            number = row.latest_version if version is None else version
            found = session.exec(
                select(TemplateVersionRow).where(
                    TemplateVersionRow.template_id == row.id,
                    TemplateVersionRow.version == number,
                )
            ).first()
            if found is None:
                raise NotFound("template version", f"{name} v{number}")
            return _version(row.name, found)

    def list_templates(self, include_deleted: bool = False) -> list[TemplateInfo]:
        """Templates by name; deleted ones only when asked."""
        with self._read() as session:
            query = select(TemplateRow).order_by(func.lower(TemplateRow.name))
            if not include_deleted:
                query = query.where(col(TemplateRow.deleted_at).is_(None))
            return [_info(r) for r in session.exec(query)]

    def template_info(self, name: str) -> TemplateInfo:
        with self._read() as session:
            return _info(self._template_row(session, name, deleted_ok=True))

    def template_versions(self, name: str) -> list[TemplateVersion]:
        """Every version of ``name``, newest first."""
        with self._read() as session:
            row = self._template_row(session, name)
            rows = session.exec(
                select(TemplateVersionRow)
                .where(TemplateVersionRow.template_id == row.id)
                .order_by(col(TemplateVersionRow.version).desc())
            )
            return [_version(row.name, v) for v in rows]

    def restore_version(self, name: str, version: int) -> TemplateVersion:
        """Make the content of an older ``version`` the newest version (history is kept)."""
        old = self.get_template(name, version)
        with self._write() as session:
            row = self._template_row(session, name, lock=True)
            return self._add_version(
                session,
                row,
                old.document,
                old.description,
                old.tags,
                f"restored from version {version}",
            )

    def duplicate_template(self, name: str, new_name: str) -> TemplateVersion:
        """Copy the latest version of ``name`` into a new template ``new_name`` (version 1)."""
        new_name = _check_name(new_name)
        source = self.get_template(name)
        with self._write() as session:
            if session.exec(select(TemplateRow).where(TemplateRow.name == new_name)).first():
                raise AlreadyExists("template", new_name)
            row = TemplateRow(name=new_name)
            session.add(row)
            session.flush()
            return self._add_version(
                session,
                row,
                source.document,
                source.description,
                source.tags,
                f"duplicated from {name} v{source.version}",
            )

    def rename_template(self, name: str, new_name: str) -> TemplateInfo:
        """Rename a template; its versions follow it."""
        new_name = _check_name(new_name)
        with self._write() as session:
            row = self._template_row(session, name, lock=True)
            if (
                new_name != name
                and session.exec(select(TemplateRow).where(TemplateRow.name == new_name)).first()
            ):
                raise AlreadyExists("template", new_name)
            row.name = new_name
            row.updated_at = now()
            session.add(row)
            session.flush()
            return _info(row)

    def delete_template(self, name: str) -> None:
        """Soft delete: hidden from lists, kept with every version until purged."""
        with self._write() as session:
            row = self._template_row(session, name, lock=True)
            row.deleted_at = now()
            session.add(row)

    def undelete_template(self, name: str) -> TemplateInfo:
        """Undo :meth:`delete_template`."""
        with self._write() as session:
            row = self._template_row(session, name, deleted_ok=True, lock=True)
            row.deleted_at = None
            session.add(row)
            session.flush()
            return _info(row)

    def purge_template(self, name: str) -> None:
        """Delete a template and all its versions for good."""
        with self._write() as session:
            row = self._template_row(session, name, deleted_ok=True, lock=True)
            session.execute(
                delete(TemplateVersionRow).where(col(TemplateVersionRow.template_id) == row.id)
            )
            session.execute(delete(TemplateRow).where(col(TemplateRow.id) == row.id))
