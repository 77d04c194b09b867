"""What the hub records. Frozen, past tense, keyed by ids derived from natural keys.

A redelivered message derives the same id as its first delivery, so the store's unique key
(originator_id, originator_version) refuses a second copy instead of keeping two.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent

_REJECTIONS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/rejections/")
_KEYS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/keys/")
PSEUDONYM_KEY_ID = uuid5(_KEYS, "pseudonyms")


def fact_id(event_id: UUID | str) -> UUID:
    """The stored id of an agency event: its ``event_id``, the natural key the contract makes
    unique per fact, so a re-send of the same fact collides with the first."""
    return event_id if isinstance(event_id, UUID) else UUID(event_id)


def rejection_id(stream: str, stream_seq: int, subject: str, data: bytes) -> UUID:
    """One rejection per stream message, however often it is redelivered. The content is part
    of the key, so a stream recreated with restarted sequences cannot collide with old ones."""
    digest = hashlib.sha256(subject.encode() + b"\0" + data).hexdigest()
    return uuid5(_REJECTIONS, f"{stream}/{stream_seq}/{digest}")


class Pseudonyms:
    """Keyed ids for children and their identifiers (HMAC-SHA256 with the hub's secret).

    Stable for a store, so a redelivery resolves to the same ids; irreversible without the
    secret, which lives in the store: a child id seen outside it (a projection, a log) cannot
    be turned back into the NHS number it was derived from.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def identifier_digest(self, key: str) -> bytes:
        """The registry id's 16 bytes for an identifier key such as ``nhs_number:...``."""
        return _as_uuid_bytes(hmac.digest(self._secret, b"identifier/" + key.encode(), "sha256"))

    def identifier_id(self, key: str) -> UUID:
        return UUID(bytes=self.identifier_digest(key))

    def child_id(self, key: str) -> UUID:
        """The hub's id for a child first seen under identifier ``key``."""
        return UUID(
            bytes=_as_uuid_bytes(hmac.digest(self._secret, b"child/" + key.encode(), "sha256"))
        )


def _as_uuid_bytes(digest: bytes) -> bytes:
    # RFC 9562 version 8 (custom) UUID layout, so the ids are well-formed UUIDs.
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return bytes(raw)


# Declared for type checkers; the library's metaclass makes it a frozen dataclass too.
@dataclass(frozen=True)
class FactRecorded(DomainEvent):
    """An agency's event that the hub accepted. ``timestamp`` is when the hub recorded it.

    ``body`` is the *derivation view* of the event (``hub.domain.privacy.view``): what the
    figures need, nothing that identifies the child; the event as the agency sent it is in
    ``sealed`` (``hub.domain.privacy.original_body``). Facts stored before sealing have no
    ``sealed`` parts and hold the original as ``body``.
    ``child_id`` is the hub's child the event is about, resolved when it arrived;
    ``joined_child_ids`` are other hub children this event showed to be the same child by a
    shared identifier; ``other_child_id`` is the hub child of ``payload.other`` in
    ``identity.linked`` and ``identity.unlinked``, and ``other_joined_child_ids`` the hub
    children its identifiers joined to it (kept apart: an unlink separates the two sides).
    """

    agency: str
    event_type: str
    event_id: str
    # repr=False: a fact's repr must not put a child's details into a log or traceback.
    body: dict[str, Any] = field(repr=False)
    child_id: str | None
    joined_child_ids: list[str]
    other_child_id: str | None
    stream_seq: int
    # Hub children that ``payload.other`` showed to share an identifier (identity.* only).
    # A default, so facts stored before the field existed still read.
    other_joined_child_ids: Sequence[str] = ()
    # The original body's sealed parts (``{"k", "v", "p", "ct"}``, see ``Keyring.seal``) and
    # the keyed digest of the original, for the "same id, different content" check.
    sealed: Sequence[dict[str, Any]] = field(default=(), repr=False)
    body_digest: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class IdentifierRegistered(DomainEvent):
    """A child identifier the hub saw for the first time, and the hub child it names."""

    child_id: str


@dataclass(frozen=True)
class MessageRejected(DomainEvent):
    """A message that is not a valid event: kept for the agency to fix, never a fact.

    The message is sealed (``sealed``, one part ``message``) under the key of the child it
    names, else of its month's rejects (``hub.domain.privacy.seal_reject``); ``named`` holds
    the registry ids of the identifiers it carried. Rejects stored before sealing hold the
    message in ``raw_base64`` (``""`` since).
    """

    subject: str
    agency: str
    reason: str
    event_id: str | None
    raw_base64: str = field(repr=False)
    stream_seq: int
    sealed: Sequence[dict[str, Any]] = field(default=(), repr=False)
    named: Sequence[str] = ()


@dataclass(frozen=True)
class KeyGenerated(DomainEvent):
    """A secret the hub generated for itself, e.g. for keyed pseudonyms."""

    purpose: str
    secret_base64: str = field(repr=False)
