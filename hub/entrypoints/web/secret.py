"""The key that signs the web service's cookies: made once, kept readable by its owner only.

Kept in a file rather than made at each start so that ``hub serve`` and a later ``hub web`` on
the same folder sign alike (the OpenID Connect state cookie survives a restart mid-sign-in).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from hub.adapters.private_file import write_private
from hub.errors import ConfigurationError

_BYTES = 32


def session_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, secrets.token_hex(_BYTES).encode())
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"{path}: the web service's secret is readable by others (mode {mode:o});"
            f" chmod 600 {path}"
        )
    secret = path.read_bytes().strip()
    if len(secret) < _BYTES:
        raise ConfigurationError(f"{path}: the web service's secret is too short")
    return secret
