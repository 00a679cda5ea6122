"""Backup to one JSON-ready dict and restore from it, all-or-nothing. Secrets stay out.

Version 2 keeps who owns what: the accounts (without passwords or sessions) and, on each
template, model config, tool, run, document collection and Builder draft, its ``owner``
(an account's name; null for the administrators' own). Version 1 backups, which had no
owners, still restore, into the administrators' own.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ._accounts import normal_name
from ._actor import ROLES, Actor
from ._base import StoreBase
from ._errors import Forbidden, StoreError
from ._migrations import head_revision
from ._records import RUN_STATUSES
from ._tables import (
    AccountRow,
    CustomToolRow,
    DocumentChunkRow,
    DocumentCollectionRow,
    DocumentRow,
    DraftRow,
    ModelConfigRow,
    RunEventRow,
    RunRow,
    SettingRow,
    TemplateRow,
    TemplateVersionRow,
)

BACKUP_FORMAT = "roundtable-backup"
BACKUP_VERSION = 2  # 2: accounts and owners

_MISSING = object()


class _Reader:
    """Reads one JSON object, naming the exact place of any problem (``runs[2].events[0]``)."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise StoreError(f"backup {path}: expected an object, got {type(data).__name__}")
        self.data = data
        self.path = path

    def _get(self, key: str, default: Any) -> Any:
        value = self.data.get(key, default)
        if value is _MISSING:
            raise StoreError(f"backup {self.path}.{key}: missing")
        return value

    def _fail(self, key: str, expected: str, value: Any) -> StoreError:
        return StoreError(
            f"backup {self.path}.{key}: expected {expected}, got {type(value).__name__}"
        )

    def text(self, key: str, default: Any = _MISSING, *, optional: bool = False) -> Any:
        value = self._get(key, default)
        if isinstance(value, str) or (optional and value is None):
            return value
        raise self._fail(key, "a string", value)

    def number(self, key: str, default: Any = _MISSING, *, optional: bool = False) -> Any:
        value = self._get(key, default)
        if optional and value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number", value)
        return value

    def integer(self, key: str, default: Any = _MISSING) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer", value)
        return value

    def obj(self, key: str, default: Any = _MISSING) -> dict[str, Any]:
        value = self._get(key, default)
        if not isinstance(value, dict):
            raise self._fail(key, "an object", value)
        return copy.deepcopy(value)

    def items(self, key: str) -> list[_Reader]:
        value = self._get(key, [])
        if not isinstance(value, list):
            raise self._fail(key, "a list", value)
        return [_Reader(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(value)]

    def tags(self, key: str) -> list[str]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise self._fail(key, "a list of strings", value)
        return list(value)


def _template_rows(t: _Reader) -> tuple[TemplateRow, list[TemplateVersionRow]]:
    versions = []
    for v in t.items("versions"):
        versions.append(
            TemplateVersionRow(
                template_id=0,
                version=v.integer("version"),
                document=v.obj("document"),
                description=v.text("description", ""),
                tags=v.tags("tags"),
                note=v.text("note", ""),
                created_at=v.number("created_at", time.time()),
            )
        )
    if not versions:
        raise StoreError(f"backup {t.path}.versions: a template needs at least one version")
    numbers = [v.version for v in versions]
    if len(set(numbers)) != len(numbers):
        raise StoreError(f"backup {t.path}.versions: version numbers repeat")
    latest = max(versions, key=lambda v: v.version)
    row = TemplateRow(
        name=t.text("name"),
        description=latest.description,
        tags=list(latest.tags),
        latest_version=latest.version,
        created_at=t.number("created_at", latest.created_at),
        updated_at=t.number("updated_at", latest.created_at),
        deleted_at=t.number("deleted_at", None, optional=True),
        shared=bool(t.data.get("shared", False)),
    )
    return row, versions


def _run_rows(r: _Reader) -> tuple[RunRow, list[RunEventRow]]:
    status = r.text("status")
    if status not in RUN_STATUSES:
        raise StoreError(f"backup {r.path}.status: {status!r} is not one of {RUN_STATUSES}")
    run = RunRow(
        id=r.text("id"),
        template_name=r.text("template_name"),
        template_snapshot=r.obj("template_snapshot", {}),
        task=r.text("task"),
        model_label=r.text("model_label", ""),
        status=status,
        reason=r.text("reason", ""),
        summary=r.text("summary", ""),
        started_at=r.number("started_at"),
        finished_at=r.number("finished_at", None, optional=True),
        total_tokens=r.integer("total_tokens", 0),
        cost=float(r.number("cost", 0.0)),
        usage=r.obj("usage", {}),
        work_dir=r.text("work_dir", None, optional=True),
        owner="",
    )
    events = [
        RunEventRow(
            run_id=run.id,
            seq=e.integer("seq"),
            kind=e.text("kind"),
            chat_id=e.text("chat_id", ""),
            depth=e.integer("depth", 0),
            sender=e.text("sender", ""),
            recipient=e.text("recipient", ""),
            role=e.text("role", None, optional=True),
            content=e.text("content", None, optional=True),
            data=e.obj("data", {}),
            created_at=e.number("created_at", run.started_at),
        )
        for e in r.items("events")
    ]
    seqs = [e.seq for e in events]
    if len(set(seqs)) != len(seqs):
        raise StoreError(f"backup {r.path}.events: seq numbers repeat")
    return run, events


def _model_row(m: _Reader) -> ModelConfigRow:
    if "api_key" in m.data or "value" in m.data:
        raise StoreError(
            f"backup {m.path}: holds an API key value; backups carry key references only "
            "(api_key_env or api_key_secret)"
        )
    return ModelConfigRow(
        name=m.text("name"),
        provider=m.text("provider", ""),
        model=m.text("model", ""),
        base_url=m.text("base_url", None, optional=True),
        api_type=m.text("api_type", "openai"),
        api_version=m.text("api_version", None, optional=True),
        api_key_env=m.text("api_key_env", None, optional=True),
        api_key_secret=m.text("api_key_secret", None, optional=True),
        shared=bool(m.data.get("shared", False)),
        price_input=m.number("price_input", None, optional=True),
        price_output=m.number("price_output", None, optional=True),
        extra=m.obj("extra", {}),
    )


def _unique(section: str, names: list[str], key: str = "name") -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise StoreError(f"backup .{section}[{index}].{key}: {name!r} appears twice")
        seen.add(name)


def _collections_backup(session: Any, owner: Any) -> list[dict[str, Any]]:
    """Document collections with their files' chunks (and embeddings), for a backup."""
    out = []
    for c in session.exec(select(DocumentCollectionRow).order_by(
            col(DocumentCollectionRow.name), col(DocumentCollectionRow.id))):
        documents = []
        for d in session.exec(select(DocumentRow).where(DocumentRow.collection_id == c.id)
                              .order_by(col(DocumentRow.source))):
            chunks = session.exec(select(DocumentChunkRow).where(
                DocumentChunkRow.document_id == d.id).order_by(col(DocumentChunkRow.position)))
            documents.append({**d.model_dump(exclude={"id", "collection_id"}),
                              "chunks": [ch.model_dump(exclude={"id", "document_id",
                                                                "collection_id"})
                                         for ch in chunks]})
        out.append({**c.model_dump(exclude={"id", "owner_id"}), "owner": owner(c),
                    "documents": documents})
    return out


def _collection_rows(c: _Reader) -> tuple[DocumentCollectionRow, list[tuple[DocumentRow, list[
        DocumentChunkRow]]]]:
    row = DocumentCollectionRow(
        name=c.text("name"), description=c.text("description", ""),
        chunk_size=c.integer("chunk_size", 1000),
        embedding_config=c.text("embedding_config", None, optional=True),
        embedding_model=c.text("embedding_model", None, optional=True),
        created_at=c.number("created_at", time.time()),
        updated_at=c.number("updated_at", time.time()))
    documents = []
    for d in c.items("documents"):
        chunks = []
        for ch in d.items("chunks"):
            vector = ch.data.get("embedding")
            if vector is not None and (not isinstance(vector, list) or not all(
                    isinstance(x, int | float) and not isinstance(x, bool) for x in vector)):
                raise StoreError(f"backup {ch.path}.embedding: expected a list of numbers")
            chunks.append(DocumentChunkRow(document_id=0, collection_id=0,
                                           position=ch.integer("position"), text=ch.text("text"),
                                           location=ch.text("location", ""), embedding=vector))
        documents.append((DocumentRow(collection_id=0, source=d.text("source"),
                                      kind=d.text("kind"), size=d.integer("size", 0),
                                      sha256=d.text("sha256", ""), chars=d.integer("chars", 0),
                                      added_at=d.number("added_at", time.time())), chunks))
    return row, documents


def _account_row(a: _Reader) -> AccountRow:
    try:
        name = normal_name(a.text("name"))
    except StoreError as exc:
        raise StoreError(f"backup {a.path}.name: {exc}") from None
    role = a.text("role", "member")
    if role not in ROLES:
        raise StoreError(f"backup {a.path}.role: {role!r} is not one of {ROLES}")
    return AccountRow(name=name, display_name=a.text("display_name", "") or name, role=role,
                      password_hash=None,  # never in a backup: set one to sign in again
                      oidc_issuer=a.text("oidc_issuer", None, optional=True),
                      oidc_subject=a.text("oidc_subject", None, optional=True),
                      budget=a.obj("budget", {}), created_at=a.number("created_at", time.time()),
                      disabled_at=a.number("disabled_at", None, optional=True))


def _add_missing_accounts(session: Session, accounts: list[AccountRow]) -> int:
    """Create the backup's accounts this database does not have; return how many. Each is
    checked inside the restore's transaction and added under its own savepoint, so an account
    of the same name that another process created meanwhile is left as it is rather than
    failing the whole restore."""
    created = 0
    for account in accounts:
        if session.exec(select(AccountRow.id).where(AccountRow.name == account.name)).first():
            continue
        try:
            with session.begin_nested():
                session.add(account)
        except IntegrityError as exc:
            if session.exec(select(AccountRow.id).where(AccountRow.name == account.name)).first():
                continue  # created by someone else since the check above: theirs is kept
            raise StoreError(  # another account holds its single sign-on identity
                f"account {account.name!r} cannot be restored: {_clash(account)}") from exc
        created += 1
    return created


def _clash(account: AccountRow) -> str:
    if account.oidc_subject:
        return (f"its single sign-on identity ({account.oidc_issuer} {account.oidc_subject}) "
                "belongs to another account here; restore into an empty studio, or rename "
                "that account in the backup")
    return "it conflicts with an account stored here"


def _owner_name(r: _Reader, known: set[str]) -> str | None:
    """The item's owner (an account name, or None: the administrators' own)."""
    owner = r.text("owner", None, optional=True)
    if owner is not None and owner not in known:
        raise StoreError(f"backup {r.path}.owner: {owner!r} is not an account of the backup "
                         "or of this studio")
    return owner


def _unique_owned(section: str, items: list[tuple[str | None, str]]) -> None:
    """Names are unique per owner (two people may each have a template 'Essay')."""
    seen: set[tuple[str | None, str]] = set()
    for index, item in enumerate(items):
        if item in seen:
            whose = f" of {item[0]!r}" if item[0] else ""
            raise StoreError(f"backup .{section}[{index}].name: {item[1]!r}{whose} appears twice")
        seen.add(item)


def _owned_by(column: Any, owner_id: int | None) -> Any:
    return col(column).is_(None) if owner_id is None else column == owner_id


class BackupMixin(StoreBase):
    def backup(self, actor: Actor) -> dict[str, Any]:
        """Everything but secret values, password hashes and sessions, as JSON-ready data
        (one file's worth), with who owns what. Administrators only."""
        if not actor.is_admin:
            raise Forbidden("only an administrator can back up the studio")
        with self._read() as session:
            account_rows = list(session.exec(select(AccountRow).order_by(col(AccountRow.name))))
            names = {a.id: a.name for a in account_rows}

            def owner(row: Any) -> str | None:
                return names.get(row.owner_id)

            accounts = [a.model_dump(include={"name", "display_name", "role", "oidc_issuer",
                                              "oidc_subject", "budget", "created_at",
                                              "disabled_at"}) for a in account_rows]
            templates = []
            for t in session.exec(select(TemplateRow).order_by(col(TemplateRow.name),
                                                               col(TemplateRow.id))):
                versions = session.exec(
                    select(TemplateVersionRow)
                    .where(TemplateVersionRow.template_id == t.id)
                    .order_by(col(TemplateVersionRow.version))
                )
                templates.append(
                    {
                        "name": t.name,
                        "owner": owner(t),
                        "shared": t.shared,
                        "created_at": t.created_at,
                        "updated_at": t.updated_at,
                        "deleted_at": t.deleted_at,
                        "versions": [v.model_dump(exclude={"id", "template_id"}) for v in versions],
                    }
                )
            models = [
                {**m.model_dump(exclude={"id", "created_at", "updated_at", "owner_id"}),
                 "owner": owner(m)}
                for m in session.exec(select(ModelConfigRow).order_by(col(ModelConfigRow.name),
                                                                      col(ModelConfigRow.id)))
            ]
            tools = [
                {"name": t.name, "owner": owner(t), "source": t.source,
                 "description": t.description}
                for t in session.exec(select(CustomToolRow).order_by(col(CustomToolRow.name),
                                                                     col(CustomToolRow.id)))
            ]
            settings = {s.key: s.value for s in session.exec(select(SettingRow))}
            collections = _collections_backup(session, owner)
            drafts = [{"owner": owner(d), "document": d.document, "saved_as": d.saved_as,
                       "updated_at": d.updated_at}
                      for d in session.exec(select(DraftRow).order_by(col(DraftRow.id)))]
            runs = []
            for r in session.exec(select(RunRow).order_by(col(RunRow.started_at), col(RunRow.id))):
                run = {**r.model_dump(exclude={"owner", "owner_id", "holder", "mode", "options"}),
                       "owner": owner(r)}
                events = session.exec(
                    select(RunEventRow)
                    .where(RunEventRow.run_id == r.id)
                    .order_by(col(RunEventRow.seq))
                )
                run["events"] = [e.model_dump(exclude={"id", "run_id"}) for e in events]
                runs.append(run)
        return copy.deepcopy(
            {
                "format": BACKUP_FORMAT,
                "version": BACKUP_VERSION,
                "schema_version": head_revision(),
                "created_at": time.time(),
                "accounts": accounts,
                "templates": templates,
                "model_configs": models,
                "tools": tools,
                "settings": settings,
                "runs": runs,
                "document_collections": collections,
                "drafts": drafts,
            }
        )

    def restore(self, actor: Actor, data: dict[str, Any]) -> dict[str, int]:
        """Load a :meth:`backup` in one transaction: items in the backup replace stored items
        of the same owner and name (or run id); everything else is kept. Nothing changes on
        error. Returns how many accounts (created), templates, model configs, tools,
        settings, runs, document collections and drafts were restored.

        Accounts the studio does not have yet are created without a password (an
        administrator sets one: ``roundtable admin password NAME``; single sign-on finds
        its people again); existing accounts are left as they are. Administrators only."""
        if not actor.is_admin:
            raise Forbidden("only an administrator can restore a backup")
        top = _Reader(data, "")
        if data.get("format") != BACKUP_FORMAT:
            raise StoreError(f"not a Roundtable backup: format must be {BACKUP_FORMAT!r}")
        if top.integer("version") > BACKUP_VERSION:
            raise StoreError(
                f"the backup is version {data['version']}, newer than this Roundtable Studio "
                f"reads ({BACKUP_VERSION}); upgrade roundtable-studio"
            )
        accounts = [_account_row(a) for a in top.items("accounts")] if "accounts" in data else []
        _unique("accounts", [a.name for a in accounts])
        with self._read() as session:  # to name a bad owner before writing anything
            known = set(session.exec(select(AccountRow.name))) | {a.name for a in accounts}
        templates = [(_owner_name(t, known), *_template_rows(t)) for t in top.items("templates")]
        models = [(_owner_name(m, known), _model_row(m)) for m in top.items("model_configs")]
        tools = [
            (_owner_name(t, known),
             CustomToolRow(name=t.text("name"), source=t.text("source"),
                           description=t.text("description", "")))
            for t in top.items("tools")
        ]
        settings = top.obj("settings", {})
        runs = [(_owner_name(r, known), *_run_rows(r)) for r in top.items("runs")]
        collections = [(_owner_name(c, known), *_collection_rows(c))
                       for c in top.items("document_collections")]
        drafts = ([(_owner_name(d, known), d.obj("document"), d.text("saved_as", None,
                                                                     optional=True),
                    d.number("updated_at", time.time()))
                   for d in top.items("drafts")] if "drafts" in data else [])
        _unique_owned("document_collections", [(o, row.name) for o, row, _ in collections])
        _unique_owned("templates", [(o, row.name) for o, row, _ in templates])
        _unique_owned("model_configs", [(o, m.name) for o, m in models])
        _unique_owned("tools", [(o, t.name) for o, t in tools])
        _unique("drafts", [o or "" for o, *_ in drafts], key="owner")
        _unique("runs", [run.id for _, run, _ in runs], key="id")
        with self._write() as session:
            created = _add_missing_accounts(session, accounts)
            ids: dict[str | None, int | None] = {None: None}
            ids.update({a.name: a.id for a in session.exec(select(AccountRow))})
            for owner, row, versions in templates:
                # that owner's item of that name is replaced; everyone else's is left alone
                row.owner_id = ids[owner]
                old = select(TemplateRow.id).where(TemplateRow.name == row.name,
                                                   _owned_by(TemplateRow.owner_id, row.owner_id))
                session.execute(
                    delete(TemplateVersionRow).where(col(TemplateVersionRow.template_id).in_(old))
                )
                session.execute(delete(TemplateRow).where(col(TemplateRow.id).in_(old)))
                session.add(row)
                session.flush()
                for version in versions:
                    version.template_id = row.id  # type: ignore[assignment]
                    session.add(version)
            for owner, model in models:
                model.owner_id = ids[owner]
                session.execute(delete(ModelConfigRow).where(
                    col(ModelConfigRow.name) == model.name,
                    _owned_by(ModelConfigRow.owner_id, model.owner_id)))
                session.add(model)
            for owner, tool in tools:
                tool.owner_id = ids[owner]
                session.execute(delete(CustomToolRow).where(
                    col(CustomToolRow.name) == tool.name,
                    _owned_by(CustomToolRow.owner_id, tool.owner_id)))
                session.add(tool)
            for key, value in settings.items():
                session.execute(delete(SettingRow).where(col(SettingRow.key) == key))
                session.add(SettingRow(key=key, value=value))
            for owner, run, events in runs:
                run.owner_id = ids[owner]
                session.execute(delete(RunEventRow).where(col(RunEventRow.run_id) == run.id))
                session.execute(delete(RunRow).where(col(RunRow.id) == run.id))
                session.add(run)
                session.flush()
                session.add_all(events)
            for owner, collection, documents in collections:
                collection.owner_id = ids[owner]
                old_ids = select(DocumentCollectionRow.id).where(
                    DocumentCollectionRow.name == collection.name,
                    _owned_by(DocumentCollectionRow.owner_id, collection.owner_id))
                session.execute(delete(DocumentChunkRow).where(
                    col(DocumentChunkRow.collection_id).in_(old_ids)))
                session.execute(delete(DocumentRow).where(
                    col(DocumentRow.collection_id).in_(old_ids)))
                session.execute(delete(DocumentCollectionRow).where(
                    col(DocumentCollectionRow.id).in_(old_ids)))
                session.add(collection)
                session.flush()
                for document, chunks in documents:
                    document.collection_id = collection.id  # type: ignore[assignment]
                    session.add(document)
                    session.flush()
                    for chunk in chunks:
                        chunk.document_id = document.id  # type: ignore[assignment]
                        chunk.collection_id = collection.id  # type: ignore[assignment]
                    session.add_all(chunks)
            for owner, draft, saved_as, updated_at in drafts:
                owner_id = ids[owner]
                session.execute(delete(DraftRow).where(_owned_by(DraftRow.owner_id, owner_id)))
                session.add(DraftRow(owner_id=owner_id, document=draft, saved_as=saved_as,
                                     updated_at=updated_at))
        return {
            "accounts": created,
            "templates": len(templates),
            "model_configs": len(models),
            "tools": len(tools),
            "settings": len(settings),
            "runs": len(runs),
            "document_collections": len(collections),
            "drafts": len(drafts),
        }
