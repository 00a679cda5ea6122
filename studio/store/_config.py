"""Model configs, secrets (never exported), custom tools, settings and Builder drafts.

Ownership: model configs, secrets, tools and drafts belong to their owner (administrators
see all). An administrator's model config can be ``shared``: members then pick it by name
and run on it, but never read, export or re-target its key. Secrets are encrypted at rest
(:mod:`._crypto`) and bound to the host of the base URL they were saved with:
:meth:`ConfigMixin.secret_for_use` is the one way to a decrypted key, for the process that
calls the model, and refuses any other host. Global settings: administrators change them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import ColumnElement, case
from sqlmodel import Session, col, select

from ._actor import Actor, own, visible
from ._base import StoreBase
from ._crypto import check_base_url, key_host
from ._errors import Forbidden, NotFound, StoreError
from ._records import CustomTool, ModelConfig, SecretInfo, mask_secret
from ._tables import CustomToolRow, DraftRow, ModelConfigRow, SecretRow, SettingRow, now

#: Setting: environment variables members' models and templates may use as API keys,
#: ``{"OPENAI_API_KEY": "api.openai.com:443"}`` (each bound to one host:port).
ALLOWED_KEY_ENV = "allowed_key_env"

MODEL_FIELDS = (
    "provider",
    "model",
    "base_url",
    "api_type",
    "api_version",
    "api_key_env",
    "api_key_secret",
    "price_input",
    "price_output",
    "extra",
)


def model_config(row: ModelConfigRow) -> ModelConfig:
    return ModelConfig(
        name=row.name,
        provider=row.provider,
        model=row.model,
        base_url=row.base_url,
        api_type=row.api_type,
        api_version=row.api_version,
        api_key_env=row.api_key_env,
        api_key_secret=row.api_key_secret,
        price_input=row.price_input,
        price_output=row.price_output,
        extra=copy.deepcopy(row.extra or {}),
        shared=bool(row.shared),
        owner_id=row.owner_id,
    )


def _required_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"a {kind} needs a non-empty name")
    return name.strip()


def _mine_first(column: object, actor: Actor) -> ColumnElement[int]:
    """SQL ordering key: the actor's own rows (0) before the others (1)."""
    return case((own(column, actor), 0), else_=1)


def _forbid_admin_only(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"only an administrator can {what}")


class ConfigMixin(StoreBase):
    # -- model configs -------------------------------------------------------------------
    def _model_row(self, session: Session, actor: Actor, name: str, *, lock: bool = False,
                   change: str = "") -> ModelConfigRow:
        query = (select(ModelConfigRow)
                 .where(ModelConfigRow.name == name,
                        visible(ModelConfigRow.owner_id, actor, ModelConfigRow.shared))
                 .order_by(_mine_first(ModelConfigRow.owner_id, actor), col(ModelConfigRow.id)))
        row = session.exec(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFound("model config", name)
        if change and not actor.owns(row.owner_id):
            raise Forbidden(f"cannot {change} model {name!r}: the workshop's administrator set "
                            "it up; add your own model instead")
        return row

    def allowed_key_env(self) -> dict[str, str]:
        """Environment variables members may name as API keys, each with its host:port."""
        value = self.get_setting(ALLOWED_KEY_ENV, {})
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def check_key_env(self, actor: Actor, env: str, base_url: str | None) -> None:
        """Refuse a server environment variable as a key unless the actor is an
        administrator or an administrator allowed that variable for this host."""
        if actor.is_admin:
            return
        allowed = self.allowed_key_env()
        if env not in allowed:
            raise Forbidden(f"the server's environment variable {env!r} is not offered to "
                            "members; paste your own key, or ask the administrator")
        if key_host(base_url) != allowed[env]:
            raise Forbidden(f"the key in {env!r} may only be sent to {allowed[env]}, not "
                            f"{key_host(base_url)}")

    def save_model_config(self, actor: Actor, config: ModelConfig) -> ModelConfig:
        """Create or replace the actor's model config named ``config.name``. Only
        administrators share a model with the workshop or name a server environment
        variable that was not allowed."""
        name = _required_name("model config", config.name)
        if config.shared:
            _forbid_admin_only(actor, "share a model with the workshop")
        if config.base_url:
            check_base_url(config.base_url)
        if config.api_key_env:
            self.check_key_env(actor, config.api_key_env, config.base_url)
        if config.api_key_env and config.api_key_secret:
            raise StoreError(
                f"model config {name!r}: give the API key either as an environment variable "
                "name or as a stored secret name, not both"
            )
        if (config.price_input is None) != (config.price_output is None):
            raise StoreError(
                f"model config {name!r}: a price override needs both input and output prices"
            )
        try:
            json.dumps(config.extra)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"model config {name!r}: extra must be JSON data ({exc})") from exc
        with self._write() as session:
            row = session.exec(
                select(ModelConfigRow)
                .where(ModelConfigRow.name == name, own(ModelConfigRow.owner_id, actor))
                .with_for_update()
            ).first() or ModelConfigRow(name=name, owner_id=actor.id)
            for field_name in MODEL_FIELDS:
                setattr(row, field_name, copy.deepcopy(getattr(config, field_name)))
            row.shared = bool(config.shared)
            row.updated_at = now()
            session.add(row)
            session.flush()
            return model_config(row)

    def list_model_configs(self, actor: Actor) -> list[ModelConfig]:
        """The actor's own model configs and the shared ones (administrators: all)."""
        with self._read() as session:
            rows = session.exec(
                select(ModelConfigRow)
                .where(visible(ModelConfigRow.owner_id, actor, ModelConfigRow.shared))
                .order_by(col(ModelConfigRow.name), _mine_first(ModelConfigRow.owner_id, actor),
                          col(ModelConfigRow.id)))
            return [model_config(r) for r in rows]

    def get_model_config(self, actor: Actor, name: str) -> ModelConfig:
        with self._read() as session:
            return model_config(self._model_row(session, actor, name))

    def delete_model_config(self, actor: Actor, name: str) -> None:
        with self._write() as session:
            session.delete(self._model_row(session, actor, name, lock=True, change="delete"))

    # -- secrets -------------------------------------------------------------------------
    def _secret_row(self, session: Session, actor: Actor, name: str) -> SecretRow | None:
        """The actor's own secret ``name`` (administrators: else anyone's)."""
        return session.exec(
            select(SecretRow)
            .where(SecretRow.name == name, visible(SecretRow.owner_id, actor))
            .order_by(_mine_first(SecretRow.owner_id, actor), col(SecretRow.id))
        ).first()

    def _secret_info(self, row: SecretRow) -> SecretInfo:
        return SecretInfo(name=row.name, preview=self._preview(row), updated_at=row.updated_at,
                          host=row.host)

    def _preview(self, row: SecretRow) -> str:
        try:
            return mask_secret(self._reveal(row))
        except StoreError:
            return "(unreadable: save it again)"

    def _reveal(self, row: SecretRow) -> str:
        return self._box.decrypt(row.value, row.name) if row.encrypted else row.value

    def set_secret(self, actor: Actor, name: str, value: str, *,
                   base_url: str | None = None) -> SecretInfo:
        """Store (or replace) the actor's secret, encrypted, bound to the host of
        ``base_url`` (None: OpenAI's API): it is never sent anywhere else. Only a masked
        preview ever comes back."""
        name = _required_name("secret", name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"secret {name!r}: the value must be a non-empty string")
        host = key_host(base_url)
        sealed = self._box.encrypt(value)
        with self._write() as session:
            row = session.exec(select(SecretRow).where(
                SecretRow.name == name, own(SecretRow.owner_id, actor))).first()
            row = row or SecretRow(name=name, value=sealed, owner_id=actor.id)
            row.value, row.encrypted, row.host = sealed, True, host
            row.updated_at = now()
            session.add(row)
            session.flush()
            return SecretInfo(name=row.name, preview=mask_secret(value),
                              updated_at=row.updated_at, host=host)

    def secret_for_use(self, actor: Actor, name: str, base_url: str | None) -> str:
        """The decrypted key ``name`` for a request to ``base_url``: only in the process
        that calls the model, never to show, log or store.

        The key is the actor's own, or belongs to a shared model config that names it
        (administrators: anyone's). Raises :class:`Forbidden` when ``base_url``'s host is
        not the one the key was saved for, :class:`NotFound` when there is no such key.
        """
        with self._read() as session:
            row = self._secret_row(session, actor, name)
            if row is None:  # a key of a shared model: used, never shown
                owners = session.exec(select(ModelConfigRow.owner_id).where(
                    ModelConfigRow.api_key_secret == name, col(ModelConfigRow.shared).is_(True)))
                for owner in owners:
                    row = session.exec(select(SecretRow).where(
                        SecretRow.name == name,
                        own(SecretRow.owner_id, Actor(owner, "")))).first()
                    if row is not None:
                        break
            if row is None:
                raise NotFound("secret", name)
            target = key_host(base_url)
            if row.host is None:
                raise Forbidden(f"the stored key {name!r} was saved before keys were tied to "
                                "one server: save it again on the Models page")
            if row.host != target:
                raise Forbidden(f"the stored key {name!r} may only be sent to {row.host}; it "
                                f"is never sent to {target} (save a key for that server "
                                "instead)")
            return self._reveal(row)

    def list_secrets(self, actor: Actor) -> list[SecretInfo]:
        """The actor's secrets (administrators: all) with masked previews (``sk-...abcd``)."""
        with self._read() as session:
            rows = session.exec(select(SecretRow).where(visible(SecretRow.owner_id, actor))
                                .order_by(col(SecretRow.name), col(SecretRow.id)))
            return [self._secret_info(r) for r in rows]

    def delete_secret(self, actor: Actor, name: str) -> None:
        with self._write() as session:
            row = self._secret_row(session, actor, name)
            if row is None:
                raise NotFound("secret", name)
            session.delete(row)

    def seal_plaintext_secrets(self) -> int:
        """Encrypt secrets stored in plain text by an older version, binding each to the
        host of a model config that uses it (else it must be saved again). Returns how
        many were sealed. Called by :meth:`Store.open`."""
        with self._write() as session:
            rows = list(session.exec(select(SecretRow).where(col(SecretRow.encrypted).is_(False))))
            for row in rows:
                config = session.exec(select(ModelConfigRow).where(
                    ModelConfigRow.api_key_secret == row.name)).first()
                row.host = row.host or (key_host(config.base_url) if config else None)
                row.value, row.encrypted = self._box.encrypt(row.value), True
                session.add(row)
            return len(rows)

    # -- custom tools --------------------------------------------------------------------
    def _tool_row(self, session: Session, actor: Actor, name: str) -> CustomToolRow:
        row = session.exec(
            select(CustomToolRow)
            .where(CustomToolRow.name == name, visible(CustomToolRow.owner_id, actor))
            .order_by(_mine_first(CustomToolRow.owner_id, actor), col(CustomToolRow.id))
        ).first()
        if row is None:
            raise NotFound("tool", name)
        return row

    def save_tool(self, actor: Actor, name: str, source: str, description: str = "") -> CustomTool:
        """Create or replace the actor's custom tool (Python source of a documented function)."""
        name = _required_name("tool", name)
        if not isinstance(source, str) or not source.strip():
            raise StoreError(f"tool {name!r}: the source is empty")
        with self._write() as session:
            row = session.exec(
                select(CustomToolRow)
                .where(CustomToolRow.name == name, own(CustomToolRow.owner_id, actor))
                .with_for_update()
            ).first() or CustomToolRow(name=name, source=source, owner_id=actor.id)
            row.source = source
            row.description = description
            row.updated_at = now()
            session.add(row)
            session.flush()
            return CustomTool(row.name, row.source, row.description, row.updated_at)

    def list_tools(self, actor: Actor) -> list[CustomTool]:
        """The actor's own tools (administrators: all)."""
        with self._read() as session:
            rows = session.exec(select(CustomToolRow)
                                .where(visible(CustomToolRow.owner_id, actor))
                                .order_by(col(CustomToolRow.name),
                                          _mine_first(CustomToolRow.owner_id, actor)))
            return [CustomTool(r.name, r.source, r.description, r.updated_at) for r in rows]

    def get_tool(self, actor: Actor, name: str) -> CustomTool:
        with self._read() as session:
            row = self._tool_row(session, actor, name)
            return CustomTool(row.name, row.source, row.description, row.updated_at)

    def delete_tool(self, actor: Actor, name: str) -> None:
        with self._write() as session:
            session.delete(self._tool_row(session, actor, name))

    # -- settings ------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``, or ``default``."""
        with self._read() as session:
            row = session.get(SettingRow, key)
            return default if row is None else copy.deepcopy(row.value)

    def set_setting(self, actor: Actor, key: str, value: Any) -> None:
        """Store a JSON value (``None`` deletes the key). Administrators only: settings
        apply to everyone."""
        _forbid_admin_only(actor, "change the studio's settings")
        key = _required_name("setting", key)
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"setting {key!r}: the value must be JSON data ({exc})") from exc
        with self._write() as session:
            row = session.get(SettingRow, key, with_for_update=True)
            if value is None:
                if row is not None:
                    session.delete(row)
                return
            row = row or SettingRow(key=key)
            row.value = copy.deepcopy(value)
            row.updated_at = now()
            session.add(row)

    def settings(self) -> dict[str, Any]:
        with self._read() as session:
            return {r.key: copy.deepcopy(r.value) for r in session.exec(select(SettingRow))}

    # -- Builder drafts (one per person) -----------------------------------------------
    def get_draft(self, actor: Actor) -> tuple[dict[str, Any], str | None] | None:
        """The actor's autosaved Builder draft and the template it was saved as, if any."""
        with self._read() as session:
            row = session.exec(select(DraftRow).where(own(DraftRow.owner_id, actor))).first()
            return None if row is None else (copy.deepcopy(row.document), row.saved_as)

    def save_draft(self, actor: Actor, document: dict[str, Any], saved_as: str | None) -> None:
        """Autosave the actor's Builder draft (nobody else ever sees it)."""
        if not isinstance(document, dict):
            raise StoreError("a draft must be a JSON object")
        with self._write() as session:
            row = session.exec(select(DraftRow).where(own(DraftRow.owner_id, actor))
                               .with_for_update()).first()
            row = row or DraftRow(owner_id=actor.id, document={})
            row.document, row.saved_as, row.updated_at = copy.deepcopy(document), saved_as, now()
            session.add(row)
