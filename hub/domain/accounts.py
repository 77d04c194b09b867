"""A person's account on the read side: an event-sourced aggregate, one per name.

Only digests are kept: the argon2 hash of the password, the SHA-256 of each API token (a
token is 256 random bits, so a fast digest is enough; its first part names the account so a
token is checked against one account only).
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from hub.domain.people import User

_ACCOUNTS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/accounts/")


def account_id(name: str) -> UUID:
    return uuid5(_ACCOUNTS, name)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Account(Aggregate):
    """Added with a one-time password; the person must set their own before anything else."""

    @staticmethod
    def create_id(name: str, role: str, password_hash: str) -> UUID:
        return account_id(name)

    @event("Added")
    def __init__(self, name: str, role: str, password_hash: str) -> None:
        self.name = name
        self.role = role
        self.password_hash = password_hash
        self.must_change_password = True
        self.token_digests: list[str] = []
        self.disabled = False

    @event("PasswordSet")
    def set_password(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.must_change_password = False

    @event("PasswordRehashed")
    def rehash(self, password_hash: str) -> None:
        """The same password under newer argon2 parameters."""
        self.password_hash = password_hash

    @event("TokenIssued")
    def issue_token(self, digest: str) -> None:
        """One API token at a time: a new one replaces the last."""
        self.token_digests = [digest]

    @event("Disabled")
    def disable(self) -> None:
        self.disabled = True
        self.token_digests = []

    def holds_token(self, token: str) -> bool:
        digest = token_digest(token)
        return any(hmac.compare_digest(digest, held) for held in self.token_digests)

    def as_user(self) -> User:
        return User(self.name, self.role, self.disabled, self.must_change_password)


__all__ = ["Account", "account_id", "token_digest"]
