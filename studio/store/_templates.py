"""Templates: every save is a new version; soft delete with undo; rename; duplicate.

Private by default: a template is seen by its owner and the administrators, and by
everyone once its owner shares it (read and run only; changes stay with the owner).
A name finds the actor's own template first, then a shared one (administrators: then any).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, delete
from sqlmodel import Session, col, func, select

from ._actor import Actor, own, visible
from ._base import StoreBase
from ._errors import AlreadyExists, Forbidden, NotFound, StoreError
from ._records import TemplateInfo, TemplateVersion
from ._tables import TemplateRow, TemplateVersionRow, now


def _info(row: TemplateRow, owners: dict[int, str] | None = None) -> TemplateInfo:
    return TemplateInfo(
        owner_id=row.owner_id,
        owner_name=(owners or {}).get(row.owner_id, "") if row.owner_id is not None else "",
        shared=bool(row.shared),
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
        self,
        session: Session,
        actor: Actor,
        name: str,
        *,
        deleted_ok: bool = False,
        lock: bool = False,
        change: str = "",
    ) -> TemplateRow:
        """The template ``name`` as the actor finds it. ``change`` (what is being done)
        requires the actor to own it (or be an administrator)."""
        query = select(TemplateRow).where(
            TemplateRow.name == name, visible(TemplateRow.owner_id, actor, TemplateRow.shared))
        if not deleted_ok:
            query = query.where(col(TemplateRow.deleted_at).is_(None))
        # the actor's own first, then shared ones, then (administrators) anyone's
        query = query.order_by(case((own(TemplateRow.owner_id, actor), 0),
                                    (col(TemplateRow.shared).is_(True), 1), else_=2),
                               col(TemplateRow.id))
        if lock:
            query = query.with_for_update()
        row = session.exec(query).first()
        if row is None:
            raise NotFound("template", name)
        if change and not actor.owns(row.owner_id):
            raise Forbidden(f"cannot {change} template {name!r}: it is shared with you, and only "
                            "its owner can change it; duplicate it to make your own copy")
        return row

    def _owner_names(self, session: Session) -> dict[int, str]:
        from ._tables import AccountRow

        return {a.id: (a.display_name or a.name) for a in session.exec(select(AccountRow))
                if a.id is not None}

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
        actor: Actor,
        name: str,
        document: dict[str, Any],
        *,
        description: str = "",
        tags: Iterable[str] = (),
        note: str = "",
    ) -> TemplateVersion:
        """Save ``document`` as a new version of the actor's template ``name`` (created on
        first save). Saving under the name of a deleted template brings it back."""
        name = _check_name(name)
        with self._write() as session:
            row = session.exec(
                select(TemplateRow)
                .where(TemplateRow.name == name, own(TemplateRow.owner_id, actor))
                .with_for_update()
            ).first()
            if row is None:
                row = TemplateRow(name=name, owner_id=actor.id)
                session.add(row)
                session.flush()
            row.deleted_at = None
            return self._add_version(session, row, document, description, tags, note)

    def get_template(
        self, actor: Actor, name: str, version: int | None = None
    ) -> TemplateVersion:
        """The latest version of ``name`` (or the given ``version``)."""
        with self._read() as session:
            row = self._template_row(session, actor, name)
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

    def template_document(self, actor: Actor, name: str, *,
                          owner_id: int | None) -> dict[str, Any]:
        """The newest document of the template ``name`` of ``owner_id`` (as listed by
        :meth:`list_templates`), if the actor may see it."""
        with self._read() as session:
            row = session.exec(select(TemplateRow).where(
                TemplateRow.name == name, own(TemplateRow.owner_id, Actor(owner_id, "")),
                col(TemplateRow.deleted_at).is_(None),
                visible(TemplateRow.owner_id, actor, TemplateRow.shared))).first()
            if row is None:
                raise NotFound("template", name)
            found = session.exec(select(TemplateVersionRow).where(
                TemplateVersionRow.template_id == row.id,
                TemplateVersionRow.version == row.latest_version)).one()
            return copy.deepcopy(found.document)

    def list_templates(self, actor: Actor, include_deleted: bool = False) -> list[TemplateInfo]:
        """The templates the actor may see, by name: their own, the shared ones (everyone's
        for administrators); deleted ones (their own) only when asked."""
        with self._read() as session:
            query = (select(TemplateRow)
                     .where(visible(TemplateRow.owner_id, actor, TemplateRow.shared))
                     .order_by(func.lower(TemplateRow.name), col(TemplateRow.id)))
            if not include_deleted:
                query = query.where(col(TemplateRow.deleted_at).is_(None))
            rows = [r for r in session.exec(query)
                    if r.deleted_at is None or actor.owns(r.owner_id)]
            owners = self._owner_names(session) if any(r.owner_id for r in rows) else {}
            return [_info(r, owners) for r in rows]

    def template_info(self, actor: Actor, name: str) -> TemplateInfo:
        with self._read() as session:
            row = self._template_row(session, actor, name, deleted_ok=True)
            return _info(row, self._owner_names(session) if row.owner_id else {})

    def share_template(self, actor: Actor, name: str, shared: bool = True) -> TemplateInfo:
        """Offer the template to everyone (``shared``) or take it back; owner or admin only."""
        with self._write() as session:
            row = self._template_row(session, actor, name, lock=True, change="share")
            row.shared = bool(shared)
            session.add(row)
            session.flush()
            return _info(row, self._owner_names(session) if row.owner_id else {})

    def template_versions(self, actor: Actor, name: str) -> list[TemplateVersion]:
        """Every version of ``name``, newest first."""
        with self._read() as session:
            row = self._template_row(session, actor, name)
            rows = session.exec(
                select(TemplateVersionRow)
                .where(TemplateVersionRow.template_id == row.id)
                .order_by(col(TemplateVersionRow.version).desc())
            )
            return [_version(row.name, v) for v in rows]

    def restore_version(self, actor: Actor, name: str, version: int) -> TemplateVersion:
        """Make the content of an older ``version`` the newest version (history is kept)."""
        old = self.get_template(actor, name, version)
        with self._write() as session:
            row = self._template_row(session, actor, name, lock=True, change="restore")
            return self._add_version(
                session,
                row,
                old.document,
                old.description,
                old.tags,
                f"restored from version {version}",
            )

    def duplicate_template(self, actor: Actor, name: str, new_name: str) -> TemplateVersion:
        """Copy the latest version of ``name`` (any template the actor sees) into the
        actor's new template ``new_name`` (version 1)."""
        new_name = _check_name(new_name)
        source = self.get_template(actor, name)
        with self._write() as session:
            if session.exec(select(TemplateRow).where(
                    TemplateRow.name == new_name, own(TemplateRow.owner_id, actor))).first():
                raise AlreadyExists("template", new_name)
            row = TemplateRow(name=new_name, owner_id=actor.id)
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

    def rename_template(self, actor: Actor, name: str, new_name: str) -> TemplateInfo:
        """Rename a template; its versions follow it."""
        new_name = _check_name(new_name)
        with self._write() as session:
            row = self._template_row(session, actor, name, lock=True, change="rename")
            if new_name != name and session.exec(select(TemplateRow).where(
                    TemplateRow.name == new_name, own(TemplateRow.owner_id, actor))).first():
                raise AlreadyExists("template", new_name)
            row.name = new_name
            row.updated_at = now()
            session.add(row)
            session.flush()
            return _info(row)

    def delete_template(self, actor: Actor, name: str) -> None:
        """Soft delete: hidden from lists, kept with every version until purged."""
        with self._write() as session:
            row = self._template_row(session, actor, name, lock=True, change="delete")
            row.deleted_at = now()
            session.add(row)

    def undelete_template(self, actor: Actor, name: str) -> TemplateInfo:
        """Undo :meth:`delete_template`."""
        with self._write() as session:
            row = self._template_row(session, actor, name, deleted_ok=True, lock=True,
                                     change="restore")
            row.deleted_at = None
            session.add(row)
            session.flush()
            return _info(row)

    def purge_template(self, actor: Actor, name: str) -> None:
        """Delete a template and all its versions for good."""
        with self._write() as session:
            row = self._template_row(session, actor, name, deleted_ok=True, lock=True,
                                     change="delete")
            session.execute(
                delete(TemplateVersionRow).where(col(TemplateVersionRow.template_id) == row.id)
            )
            session.execute(delete(TemplateRow).where(col(TemplateRow.id) == row.id))
