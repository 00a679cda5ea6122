"""One way to draw a Builder field: its value always comes with the widget itself.

A widget whose value was only preset through ``st.session_state`` falls back to its
default when the browser mounts it later (in a tab opened afterwards) and reports that
default as a change. Passing the draft's value as the widget's own default avoids that;
keys that carry a digest of the value (see ``_builder_session.digest``) make a changed
draft re-create the widget with the new value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def put(method: Callable[..., Any], label: str, *args: Any, value: Any, **kwargs: Any) -> Any:
    """Call a Streamlit widget ``method`` with ``value`` passed the way it takes it."""
    name = getattr(method, "__name__", "")
    if name in ("selectbox", "radio"):
        options = list(args[0] if args else kwargs["options"])
        kwargs["index"] = options.index(value) if value in options else None
    elif name == "multiselect":
        kwargs["default"] = value
    else:
        kwargs["value"] = value
    return method(label, *args, **kwargs)
