"""``roundtable serve``: templates as an HTTP service (a native API with live events, and
an OpenAI-compatible ``/v1/chat/completions``), over the same ``runs`` API as the studio
and the CLI, which are its siblings, never its dependencies.

Depends on :mod:`studio.runs`, :mod:`studio.spec` and :mod:`studio.store` only.
"""

from ._app import create_app
from ._auth import DEFAULT_RATE_LIMIT, Caller, Gate, is_loopback
from ._server import INSTANCES, ServeOptions, serve
from ._service import Served, Teams

__all__ = ["DEFAULT_RATE_LIMIT", "INSTANCES", "Caller", "Gate", "ServeOptions", "Served",
           "Teams", "create_app", "is_loopback", "serve"]
