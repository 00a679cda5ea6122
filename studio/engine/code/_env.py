"""The environment code runs with: the host's, minus anything that looks like a secret."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# Matched against the variable NAME, case-insensitively.
_SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNATURE"
    r"|(^|_)PASS($|_)|(^|_)DSN($|_)|CONN(ECTION)?_?STR|DATABASE_URL",
    re.IGNORECASE,
)
_SECRET_PREFIXES = ("OPENAI_", "AZURE_", "ANTHROPIC_", "AWS_", "GOOGLE_", "GCP_", "HF_", "ROUNDTABLE_")
_KEEP = frozenset({"PWD", "OLDPWD"})


def is_secret_name(name: str) -> bool:
    """True when a variable named ``name`` must not reach executed code."""
    if name in _KEEP:
        return False
    upper = name.upper()
    return upper.startswith(_SECRET_PREFIXES) or bool(_SECRET_NAME.search(name))


def scrubbed_environment(
    base: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: ``os.environ``) without secret-looking variables, plus ``extra``."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not is_secret_name(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env
