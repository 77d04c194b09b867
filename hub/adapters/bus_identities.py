"""Who may connect to the hub's NATS: one nkey per agency and one for the hub.

An nkey is an Ed25519 key pair: the server's configuration holds only the public key, and the
party keeps the seed (its private key) in a file it passes to nats-py (``nkeys_seed=FILE``).
The server challenges each connection to sign a nonce, so the seed never crosses the wire.

The folder (``$HUB_DATA_DIR/credentials``, mode 0700) holds each current seed as
``<role>.nk`` (0600) and ``register.json``: each role's current public key, when it was
issued, and the public keys revoked before it. A revoked agency has no current key until one
is issued again (``hub agencies credentials AGENCY``); starting the hub never re-issues it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nkeys
import orjson

import contracts
from hub.adapters.private_file import write_private
from hub.errors import ConfigurationError

HUB = "hub"
ROLES = (HUB, *contracts.AGENCIES)


@dataclass(frozen=True)
class Identity:
    role: str
    public_key: str
    seed_file: Path


class Identities:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def _register_file(self) -> Path:
        return self.folder / "register.json"

    def ensure(self) -> None:
        """Issue a key to each role that has never had one (a revoked agency stays revoked)."""
        register = self._register()
        for role in ROLES:
            if role not in register:
                self.issue(role)

    def issue(self, role: str) -> Identity:
        """A new key for ``role``, replacing its current one (which stops working once the
        server's configuration is reloaded)."""
        _check(role)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
        public = nkeys.from_seed(bytearray(seed)).public_key.decode()
        path = self.seed_file(role)
        write_private(path, seed + b"\n")
        register = self._register()
        entry = register.get(role, {"revoked": []})
        if entry.get("public_key"):
            entry["revoked"].append(entry["public_key"])
        entry.update(public_key=public, issued_at=_now())
        register[role] = entry
        self._save(register)
        return Identity(role, public, path)

    def revoke(self, role: str) -> str:
        """Take away ``role``'s key; returns the public key revoked."""
        _check(role)
        register = self._register()
        current = register.get(role, {}).get("public_key")
        if not current:
            raise ConfigurationError(f"{role} has no current credentials to revoke")
        entry = register[role]
        entry["revoked"].append(current)
        entry.update(public_key=None, revoked_at=_now())
        self._save(register)
        with contextlib.suppress(FileNotFoundError):
            self.seed_file(role).unlink()
        return str(current)

    def current(self) -> dict[str, str]:
        """Each role with a current key: its public key."""
        return {
            role: entry["public_key"]
            for role, entry in self._register().items()
            if entry.get("public_key")
        }

    def revoked(self, role: str) -> bool:
        """Whether ``role`` had a key that was taken away and none was issued since."""
        entry = self._register().get(role, {})
        return bool(entry.get("revoked")) and not entry.get("public_key")

    def get(self, role: str) -> Identity | None:
        public = self.current().get(role)
        path = self.seed_file(role)
        if public is None or not path.exists():
            return None
        return Identity(role, public, path)

    def seed_file(self, role: str) -> Path:
        return self.folder / f"{role}.nk"

    def _register(self) -> dict[str, Any]:
        try:
            register: dict[str, Any] = orjson.loads(self._register_file.read_bytes())
        except FileNotFoundError:
            return {}
        return register

    def _save(self, register: dict[str, Any]) -> None:
        write_private(self._register_file, orjson.dumps(register, option=orjson.OPT_INDENT_2))


def _check(role: str) -> None:
    if role not in ROLES:
        raise ConfigurationError(f"no such party on the bus: {role} (one of {', '.join(ROLES)})")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
