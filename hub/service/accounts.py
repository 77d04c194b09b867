"""The read side's accounts: added by the operator, signed in with a password or a token.

``hub users add`` (the operator, on the hub's host) gives a one-time password; the person sets
their own at first sign-in. Scripts use an API token (``hub users token``), one per account,
shown once. A disabled account's sessions and token stop working at their next request.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.domain import DomainEvent

from hub.domain.accounts import Account, account_id, token_digest
from hub.domain.people import User, role_names, valid_role
from hub.errors import InputError, NotFound
from hub.service.ports import Streams

MIN_PASSWORD = 12
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")


class Hasher(Protocol):
    """How passwords are kept (``hub.adapters.passwords.Argon2Hasher``)."""

    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool: ...

    def needs_rehash(self, hashed: str) -> bool: ...


class Accounts:
    def __init__(self, streams: Streams[DomainEvent], hasher: Hasher) -> None:
        self._streams = streams
        self._hasher = hasher
        # Verified against when the name is unknown, so a wrong name takes as long as a
        # wrong password and sign-in does not tell which names exist.
        self._decoy = hasher.hash(secrets.token_urlsafe(16))

    def add(self, name: str, role: str) -> str:
        """Add an account; return its one-time password."""
        if not _NAME.fullmatch(name):
            raise InputError(
                f"user name {name!r}: letters, digits and . _ @ + - only (an e-mail address"
                " will do), up to 128 characters"
            )
        if not valid_role(role):
            raise InputError(f"no role {role!r}; the roles are: {', '.join(role_names())}")
        if self._load(name) is not None:
            raise InputError(f"there is already a user {name!r}")
        password = secrets.token_urlsafe(12)
        self._save(Account(name, role, self._hasher.hash(password)))
        return password

    def issue_token(self, name: str) -> str:
        """A new API token for the account (the last one stops working); shown once."""
        account = self._require(name)
        if account.disabled:
            raise InputError(f"user {name!r} is disabled")
        token = f"hub_{account.id.hex}_{secrets.token_urlsafe(32)}"
        account.issue_token(token_digest(token))
        self._save(account)
        return token

    def disable(self, name: str) -> None:
        account = self._require(name)
        if not account.disabled:
            account.disable()
            self._save(account)

    def sign_in(self, name: str, password: str) -> User | None:
        """The user, when the password is theirs and the account is enabled; else None."""
        account = self._load(name)
        if account is None:
            self._hasher.verify(self._decoy, password)
            return None
        if not self._hasher.verify(account.password_hash, password) or account.disabled:
            return None
        if self._hasher.needs_rehash(account.password_hash):
            account.rehash(self._hasher.hash(password))
            self._save(account)
        return account.as_user()

    def change_password(self, name: str, new: str) -> None:
        if len(new) < MIN_PASSWORD:
            raise InputError(f"a password needs at least {MIN_PASSWORD} characters")
        account = self._require(name)
        if self._hasher.verify(account.password_hash, new):
            raise InputError("choose a password other than the one you were given")
        account.set_password(self._hasher.hash(new))
        self._save(account)

    def by_token(self, token: str) -> User | None:
        match = re.fullmatch(r"hub_([0-9a-f]{32})_[A-Za-z0-9_-]{20,}", token)
        if match is None:
            return None
        account = self._replay(self._streams.stream(UUID(match[1])))
        if account is None or account.disabled or not account.holds_token(token):
            return None
        return account.as_user()

    def get(self, name: str) -> User | None:
        account = self._load(name)
        return None if account is None else account.as_user()

    def users(self) -> list[User]:
        streams: dict[UUID, list[DomainEvent]] = {}
        for stored in self._streams.all():
            streams.setdefault(stored.originator_id, []).append(stored)
        accounts = (self._replay(events) for events in streams.values())
        return sorted((a.as_user() for a in accounts if a is not None), key=lambda u: u.name)

    def _require(self, name: str) -> Account:
        account = self._load(name)
        if account is None:
            raise NotFound(f"no user {name!r}")
        return account

    def _load(self, name: str) -> Account | None:
        return self._replay(self._streams.stream(account_id(name)))

    @staticmethod
    def _replay(events: list[DomainEvent]) -> Account | None:
        account: Any = None
        for stored in events:
            account = stored.mutate(account)  # type: ignore[attr-defined]
        return account  # type: ignore[no-any-return]

    def _save(self, account: Account) -> None:
        self._streams.append(cast(list[DomainEvent], list(account.collect_events())))


__all__ = ["MIN_PASSWORD", "Accounts", "Hasher"]
