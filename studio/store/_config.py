"""Model configs, secrets (never exported), custom tools and settings."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlmodel import Session, col, select

from ._base import StoreBase
from ._errors import NotFound, StoreError
from ._records import CustomTool, ModelConfig, SecretInfo, mask_secret
from ._tables import CustomToolRow, ModelConfigRow, SecretRow, SettingRow, now

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
    )


def _required_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"a {kind} needs a non-empty name")
    return name.strip()


class ConfigMixin(StoreBase):
    # -- model configs -------------------------------------------------------------------
    def save_model_config(self, config: ModelConfig) -> ModelConfig:
        """Create or replace the model config named ``config.name``."""
        name = _required_name("model config", config.name)
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
                select(ModelConfigRow).where(ModelConfigRow.name == name).with_for_update()
            ).first() or ModelConfigRow(name=name)
            for field_name in MODEL_FIELDS:
                setattr(row, field_name, copy.deepcopy(getattr(config, field_name)))
            row.updated_at = now()
            session.add(row)
            session.flush()
            return model_config(row)

    def list_model_configs(self) -> list[ModelConfig]:
        with self._read() as session:
            rows = session.exec(select(ModelConfigRow).order_by(col(ModelConfigRow.name)))
            return [model_config(r) for r in rows]

    def get_model_config(self, name: str) -> ModelConfig:
        with self._read() as session:
            row = session.exec(select(ModelConfigRow).where(ModelConfigRow.name == name)).first()
            if row is None:
                raise NotFound("model config", name)
            return model_config(row)

    def delete_model_config(self, name: str) -> None:
        with self._write() as session:
            row = session.exec(select(ModelConfigRow).where(ModelConfigRow.name == name)).first()
            if row is None:
                raise NotFound("model config", name)
            session.delete(row)

    # -- secrets -------------------------------------------------------------------------
    def _secret_row(self, session: Session, name: str) -> SecretRow | None:
        return session.exec(select(SecretRow).where(SecretRow.name == name)).first()

    def set_secret(self, name: str, value: str) -> SecretInfo:
        """Store (or replace) a secret. Only a masked preview ever comes back."""
        name = _required_name("secret", name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"secret {name!r}: the value must be a non-empty string")
        with self._write() as session:
            row = self._secret_row(session, name) or SecretRow(name=name, value=value)
            row.value = value
            row.updated_at = now()
            session.add(row)
            session.flush()
            return SecretInfo(name=row.name, preview=mask_secret(value), updated_at=row.updated_at)

    def get_secret(self, name: str) -> str:
        """The secret's value, to build a model client. Never show or log it."""
        with self._read() as session:
            row = self._secret_row(session, name)
            if row is None:
                raise NotFound("secret", name)
            return row.value

    def list_secrets(self) -> list[SecretInfo]:
        """Secret names with masked previews (``sk-...abcd``)."""
        with self._read() as session:
            rows = session.exec(select(SecretRow).order_by(col(SecretRow.name)))
            return [SecretInfo(r.name, mask_secret(r.value), r.updated_at) for r in rows]

    def delete_secret(self, name: str) -> None:
        with self._write() as session:
            row = self._secret_row(session, name)
            if row is None:
                raise NotFound("secret", name)
            session.delete(row)

    # -- custom tools --------------------------------------------------------------------
    def save_tool(self, name: str, source: str, description: str = "") -> CustomTool:
        """Create or replace a custom tool (Python source of a documented function)."""
        name = _required_name("tool", name)
        if not isinstance(source, str) or not source.strip():
            raise StoreError(f"tool {name!r}: the source is empty")
        with self._write() as session:
            row = session.exec(
                select(CustomToolRow).where(CustomToolRow.name == name).with_for_update()
            ).first() or CustomToolRow(name=name, source=source)
            row.source = source
            row.description = description
            row.updated_at = now()
            session.add(row)
            session.flush()
            return CustomTool(row.name, row.source, row.description, row.updated_at)

    def list_tools(self) -> list[CustomTool]:
        with self._read() as session:
            rows = session.exec(select(CustomToolRow).order_by(col(CustomToolRow.name)))
            return [CustomTool(r.name, r.source, r.description, r.updated_at) for r in rows]

    def get_tool(self, name: str) -> CustomTool:
        with self._read() as session:
            row = session.exec(select(CustomToolRow).where(CustomToolRow.name == name)).first()
            if row is None:
                raise NotFound("tool", name)
            return CustomTool(row.name, row.source, row.description, row.updated_at)

    def delete_tool(self, name: str) -> None:
        with self._write() as session:
            row = session.exec(select(CustomToolRow).where(CustomToolRow.name == name)).first()
            if row is None:
                raise NotFound("tool", name)
            session.delete(row)

    # -- settings ------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``, or ``default``."""
        with self._read() as session:
            row = session.get(SettingRow, key)
            return default if row is None else copy.deepcopy(row.value)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value (``None`` deletes the key)."""
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
