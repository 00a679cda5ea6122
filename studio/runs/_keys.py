"""Which API key a model call may use: the one door between stored keys and a model client.

Used by runs (the template route) and by the Models page's Test (the same rules):
- a stored secret comes decrypted from ``Store.secret_for_use``, which refuses to hand it
  out for any host but the one it was saved for, and serves a member only their own keys
  or the key of a model the administrator shared;
- a server environment variable is read only for administrators (and the personal-mode
  user), or for members when an administrator allowed that variable for that host.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from studio.spec import BuildError

if TYPE_CHECKING:
    from studio.spec import ModelPreset
    from studio.spec._resolve import KeyProvider
    from studio.store import Actor, Store

NO_KEY = "not-needed"  # what local OpenAI-compatible servers get: they accept any key


def api_key_for(store: Store, actor: Actor, name: str, *, base_url: str | None,
                api_key_secret: str | None, api_key_env: str | None,
                needs_key: bool) -> str:
    """The key for model ``name`` sent to ``base_url``, or BuildError saying what to fix."""
    from studio.store import Forbidden, NotFound, StoreError

    if api_key_secret:
        try:
            return store.secret_for_use(actor, api_key_secret, base_url)
        except NotFound:
            if needs_key or not api_key_env:
                raise BuildError(f"model {name!r}: the stored key {api_key_secret!r} does not "
                                 "exist; save the key again on the Models page") from None
        except (Forbidden, StoreError) as exc:
            raise BuildError(f"model {name!r}: {exc}") from None
    if api_key_env:
        try:
            store.check_key_env(actor, api_key_env, base_url)
        except (Forbidden, StoreError) as exc:
            raise BuildError(f"model {name!r}: {exc}") from None
        value = os.environ.get(api_key_env, "").strip()
        if value:
            return value
        if needs_key:
            raise BuildError(f"model {name!r}: no API key: set the {api_key_env} environment "
                             "variable or give the model a stored key")
    elif needs_key:
        raise BuildError(f"model {name!r}: needs an API key: paste one on the Models page")
    return NO_KEY


def key_provider(store: Store, actor: Actor) -> KeyProvider:
    """``api_key_for`` in the shape ``studio.spec``'s model resolver takes."""

    def provide(name: str, preset: ModelPreset) -> str:
        return api_key_for(store, actor, name, base_url=preset.base_url,
                           api_key_secret=preset.api_key_secret,
                           api_key_env=preset.api_key_env, needs_key=preset.needs_key)

    return provide
