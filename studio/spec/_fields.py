"""The fields of a template by path: which model a mapping is, and the field a misspelt key
was meant to be (``agnets`` -> ``agents``), so a typo is named and does not hide the rest."""

from __future__ import annotations

import difflib
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from ._models import TemplateSpec

# keys never read as a misspelt field: a secret written into a template is refused as such
SECRET_KEYS = frozenset({"api_key", "key", "password", "token"})
# older names a template may still use (TemplateSpec reads them itself)
_OLD_KEYS: dict[tuple[Any, ...], frozenset[str]] = {(): frozenset({"demo_script"})}


def model_at(parts: list[str | int] | tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model of the mapping ``parts`` leads to in a template (``["agents", 1]``
    -> AgentSpec, ``["models", "main"]`` -> ModelConfig), or None (a list, a value, a path
    the format does not have)."""
    model: type[BaseModel] | None = TemplateSpec
    inner: type[BaseModel] | None = None
    in_container = False  # the next part is an index or a key of a list/mapping of models
    for part in parts:
        if in_container:
            model, in_container = inner, False
            continue
        field = model.model_fields.get(part) if model and isinstance(part, str) else None
        if field is None:
            return None
        in_container = _is_container(field.annotation)
        inner = model = _inner_model(field.annotation)
    return None if in_container else model


def closest_field(name: str, parent: list[str | int] | tuple[str | int, ...]) -> str | None:
    """The field of the mapping at ``parent`` that ``name`` looks like a misspelling of."""
    model = model_at(parent)
    if model is None or name in model.model_fields or name in SECRET_KEYS \
            or name in _OLD_KEYS.get(tuple(parent), ()):
        return None
    close = difflib.get_close_matches(name, list(model.model_fields), n=1, cutoff=0.6)
    return close[0] if close else None


def fields_at(parent: list[str | int] | tuple[str | int, ...]) -> list[str]:
    """The fields of the mapping at ``parent`` (empty when it is not one of the format's)."""
    model = model_at(parent)
    return list(model.model_fields) if model else []


def respell(doc: Any, renames: dict[tuple[Any, ...], tuple[str, str]] | None = None) -> Any:
    """A copy of ``doc`` with each misspelt key (see :func:`closest_field`) under the name of
    the field it was meant to be, where that field is not written too. ``renames`` gets
    ``(*parent, field) -> (field, written key)``, the parent as the respelt copy has it."""
    return _respell(doc, (), renames if renames is not None else {})


def _respell(value: Any, at: tuple[Any, ...], renames: dict[tuple[Any, ...], tuple[str, str]]
             ) -> Any:
    if isinstance(value, list):
        return [_respell(item, (*at, i), renames) for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for key, item in value.items():
        field = closest_field(key, at) if isinstance(key, str) else None
        if field is not None and field not in value and field not in out:
            renames[(*at, field)] = (field, key)
            key = field
        out[key] = _respell(item, (*at, key), renames)
    return out


def canonical_parts(parts: list[str | int]) -> list[str | int]:
    """A path as written (``agnets[1].model``) with each misspelt key read as the field it
    was meant to be (``agents[1].model``)."""
    out: list[str | int] = []
    for part in parts:
        field = closest_field(part, out) if isinstance(part, str) else None
        out.append(field or part)
    return out


def field_default(parent: list[str | int] | tuple[str | int, ...], name: str
                  ) -> tuple[bool, Any]:
    """``(True, None)`` when field ``name`` of the mapping at ``parent`` may be left out;
    ``(False, placeholder)`` when it is required and a stand-in of its type exists (text,
    a number); ``(False, None)`` otherwise."""
    model = model_at(parent)
    field = model.model_fields.get(name) if model else None
    if field is None:
        return False, None
    if not field.is_required():
        return True, None
    stand_ins: dict[Any, Any] = {str: "_", float: 0.0, int: 0}
    return False, stand_ins.get(field.annotation)


def _is_container(annotation: Any) -> bool:
    args = [a for a in get_args(annotation) if a is not type(None)] \
        if get_origin(annotation) in (Union, types.UnionType) else [annotation]
    return len(args) == 1 and get_origin(args[0]) in (list, dict)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, dict, Union, types.UnionType):
        for arg in get_args(annotation):
            model = _inner_model(arg)
            if model is not None:
                return model
    return None
