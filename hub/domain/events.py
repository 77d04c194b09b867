"""What the hub records. Frozen, past tense, keyed by ids derived from natural keys.

A redelivered message derives the same id as its first delivery, so the store's unique key
(originator_id, originator_version) refuses a second copy instead of keeping two.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent

_IDENTIFIERS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/identifiers/")
_CHILDREN = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/children/")
_REJECTIONS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/rejections/")


def fact_id(event_id: UUID | str) -> UUID:
    """The stored id of an agency event: its ``event_id``, the natural key the contract makes
    unique per fact, so a re-send of the same fact collides with the first."""
    return event_id if isinstance(event_id, UUID) else UUID(event_id)


def identifier_id(key: str) -> UUID:
    return uuid5(_IDENTIFIERS, key)


def identifier_digest(key: str) -> bytes:
    """``identifier_id(key).bytes``, without building a UUID: the registry's hot-path key."""
    digest = bytearray(hashlib.sha1(_IDENTIFIERS.bytes + key.encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5, as uuid5 sets it
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return bytes(digest)


def new_child_id(key: str) -> UUID:
    """The hub's id for a child first seen under identifier ``key`` (e.g. ``la_child_id:C1``)."""
    return uuid5(_CHILDREN, key)


def rejection_id(stream: str, stream_seq: int) -> UUID:
    """One rejection per stream message, however often it is redelivered."""
    return uuid5(_REJECTIONS, f"{stream}/{stream_seq}")


# Declared for type checkers; the library's metaclass makes it a frozen dataclass too.
@dataclass(frozen=True)
class FactRecorded(DomainEvent):
    """An agency's event that the hub accepted. ``timestamp`` is when the hub recorded it.

    ``body`` is the event as the agency sent it (a JSON object, timestamps with their offsets).
    ``child_id`` is the hub's child the event is about, resolved when it arrived;
    ``joined_child_ids`` are other hub children this event showed to be the same child by a
    shared identifier; ``other_child_id`` is the hub child of ``payload.other`` in
    ``identity.linked`` and ``identity.unlinked``.
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


@dataclass(frozen=True)
class IdentifierRegistered(DomainEvent):
    """A child identifier the hub saw for the first time, and the hub child it names."""

    child_id: str


@dataclass(frozen=True)
class MessageRejected(DomainEvent):
    """A message that is not a valid event: kept for the agency to fix, never a fact."""

    subject: str
    agency: str
    reason: str
    event_id: str | None
    raw_base64: str = field(repr=False)
    stream_seq: int
