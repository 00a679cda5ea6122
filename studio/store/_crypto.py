"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key kept outside the database.

The key comes from ``$ROUNDTABLE_SECRET_KEY`` (a Fernet key), else from the file
``$ROUNDTABLE_KEY_FILE``, else ``secret.key`` in the data dir, created on first use with
mode 0600. A copy of the database file alone reveals no key; keep the key file (or the
variable) with your backups of the database file, or stored keys must be entered again.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

from ._errors import StoreError

KEY_ENV = "ROUNDTABLE_SECRET_KEY"
KEY_FILE_ENV = "ROUNDTABLE_KEY_FILE"
KEY_FILENAME = "secret.key"
DEFAULT_API_BASE = "https://api.openai.com/v1"


class SecretBox:
    """Encrypts and decrypts stored secrets; the key is read (or made) on first use."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file
        self._fernet: object | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"${KEY_ENV}" if os.environ.get(KEY_ENV) else str(self.key_file)

    def _get(self):
        from cryptography.fernet import Fernet

        with self._lock:
            if self._fernet is None:
                self._fernet = Fernet(self._key())
            return self._fernet

    def _key(self) -> bytes:
        from cryptography.fernet import Fernet

        explicit = os.environ.get(KEY_ENV, "").strip()
        if explicit:
            return explicit.encode("ascii")
        path = self.key_file
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot read the secret key file {path}: {exc.strerror}") from exc
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
        except OSError as exc:
            raise StoreError(f"cannot create the secret key file {path}: {exc.strerror}; "
                             f"set {KEY_ENV} or {KEY_FILE_ENV}") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
        return key

    def encrypt(self, value: str) -> str:
        return self._get().encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, name: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._get().decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise StoreError(
                f"the stored key {name!r} cannot be decrypted with this studio's secret key "
                f"({self.where}): was the key file replaced? Save the key again on the "
                "Models page") from exc


def key_file_for(data_dir: Path) -> Path:
    explicit = os.environ.get(KEY_FILE_ENV)
    return Path(explicit).expanduser() if explicit else data_dir / KEY_FILENAME


def check_base_url(base_url: str) -> None:
    """Refuse a base URL that is not a web address (``localhost 8000``, ``ftp://x``,
    ``http://:8000``), saying how one is written, so the mistake shows when the model is
    saved rather than as a puzzling failure when it is first used."""
    text = base_url.strip()
    example = "write it like http://localhost:8000/v1"
    parts = urlsplit(text)
    if any(c.isspace() for c in text) or parts.scheme not in ("http", "https"):
        raise StoreError(f"base URL {base_url!r} is not a web address starting with http:// "
                         f"or https://: {example}")
    if not parts.hostname:
        raise StoreError(f"base URL {base_url!r} names no server: {example}")
    try:
        parts.port  # noqa: B018 - a bad port raises
    except ValueError as exc:
        raise StoreError(f"base URL {base_url!r} has a port that is not a number from 1 to "
                         f"65535: {example}") from exc


def key_host(base_url: str | None) -> str:
    """``host:port`` a key is bound to, from a base URL (no URL: OpenAI's API)."""
    parts = urlsplit((base_url or DEFAULT_API_BASE).strip())
    host = (parts.hostname or "").lower()
    if not host:
        raise StoreError(f"{base_url!r} is not a URL with a host (e.g. http://localhost:11434/v1)")
    try:
        port = parts.port
    except ValueError as exc:
        raise StoreError(f"{base_url!r} has a bad port") from exc
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{host}:{port}"
