"""The environment code runs with: an allow-list, never the host's variables wholesale.

Only the locale, the time zone and the terminal type come from the host; everything else is
set here (PATH, HOME in the work dir, a private TMPDIR). A variable with an innocent name
(SLACK_WEBHOOK, DB_URL) reaches code no more than OPENAI_API_KEY does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

PASSED_FROM_HOST = frozenset({
    "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE",
    "LC_MONETARY", "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE",
    "LC_MEASUREMENT", "LC_IDENTIFICATION", "TZ", "TERM",
})
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")


def code_environment(
    *, home: str, path: Iterable[str] = (), tmp: str = "/tmp",
    extra: Mapping[str, str] | None = None, host: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of executed code.

    ``path``: folders searched before the system's (the interpreter's own ``bin``, so that
    ``python`` and ``pip`` in shell blocks mean the interpreter that runs Python blocks).
    ``host`` (default ``os.environ``) only contributes the names in :data:`PASSED_FROM_HOST`.
    """
    source = os.environ if host is None else host
    env = {name: value for name, value in source.items() if name in PASSED_FROM_HOST}
    env.setdefault("LANG", "C.UTF-8")
    env.update(
        PATH=os.pathsep.join(dict.fromkeys([*path, *SYSTEM_PATH])),
        HOME=home,
        TMPDIR=tmp,
        XDG_CACHE_HOME=f"{tmp}/.cache",
        XDG_CONFIG_HOME=f"{tmp}/.config",
        MPLCONFIGDIR=f"{tmp}/.matplotlib",
        MPLBACKEND="Agg",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
    )
    if extra:
        env.update(extra)
    return env
