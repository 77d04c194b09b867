"""What the service layer needs from storage, as ports the adapters implement.

``hub.adapters.store.EventStore`` is the real one (the eventsourcing library's recorders, on
SQLite or PostgreSQL); ``tests/fakes.py`` holds an in-memory one that the same contract tests
check (``tests/integration/test_store_port.py``). Every method raises
``hub.errors.StoreUnavailable`` when the store cannot be used now, and nothing else for a
storage fault, so callers tell "try again" from a fault in their own code.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEvent

from hub.domain.events import FactRecorded, IdentifierRegistered, KeyGenerated, MessageRejected

E = TypeVar("E", bound=DomainEvent)


class Records(Protocol[E]):
    """One of the hub's own tables of events, each keyed by its ``originator_id``."""

    def add_new(self, events: Sequence[E]) -> None:
        """Store those not already held (a redelivered batch stores nothing twice)."""
        ...

    def get(self, id: UUID) -> E | None: ...

    def all(self) -> Iterator[E]:
        """Every event, in the order stored."""
        ...

    def count(self) -> int: ...


class Facts(Protocol):
    """The log of facts: each stored once, at a position higher than every earlier one."""

    def existing(self, ids: Collection[UUID]) -> set[UUID]:
        """Which of these fact ids are stored."""
        ...

    def get(self, id: UUID) -> FactRecorded | None: ...

    def append(self, facts: Sequence[FactRecorded]) -> int:
        """Store the facts in one transaction; return the highest position written (0 when
        none). Raises ``StoreConflict`` and stores none of them when any is already stored."""
        ...

    def position(self) -> int:
        """The position of the last fact stored, 0 when none."""
        ...

    def last(self) -> FactRecorded | None: ...

    def count(self) -> int: ...


class Store(Protocol):
    """The hub's tables in one database: what one writer owns."""

    @property
    def facts(self) -> Facts: ...

    @property
    def identifiers(self) -> Records[IdentifierRegistered]: ...

    @property
    def rejections(self) -> Records[MessageRejected]: ...

    @property
    def keys(self) -> Records[KeyGenerated]: ...

    @property
    def keyring(self) -> Keyring: ...

    def close(self) -> None:
        """Let go of the database's connections; the store is not used after it."""
        ...


class Keyring(Protocol):
    """Data keys, one live key per owner, each wrapped under the master key (envelope
    encryption), kept beside the facts in the store's own database (``hub_data_keys``).

    An owner is a hub child id (the ``child_id`` string on ``FactRecorded``), ``records`` (facts
    about no child), ``reject/<id>`` (each rejected message's own) or
    ``pseudonyms`` (the hub's HMAC secret, ``secret``). Shredding an owner destroys its live
    key: what was sealed under it can never be read again, and the row stays as a tombstone,
    so shredding twice is harmless and a later ``seal`` for that owner makes version + 1.
    ``hub.adapters.keyring.SqlKeyring`` is the real one (SQLite and PostgreSQL);
    ``tests.fakes.MemoryKeyring`` the in-memory one, checked by the same contract tests
    (``tests/integration/test_keyring_port.py``).
    """

    def seal(self, owner: str, part: str, aad: bytes, plaintext: bytes) -> dict[str, Any]:
        """``{"k": owner, "v": version, "p": part, "ct": base64(nonce | ciphertext)}``, sealed
        under the owner's live key (made when the owner has none). The ciphertext is bound
        to ``aad`` and to its part, owner and version: moved elsewhere it does not open."""
        ...

    def unseal(self, sealed: Mapping[str, Any], aad: bytes) -> bytes | None:
        """The plaintext, or None when that key was shredded. Raises ``ConfigurationError``
        when the part does not open (tampered, moved, or its key is missing)."""
        ...

    def shred(self, owners: Collection[str]) -> int:
        """Destroy the owners' live keys now; return how many (0 when already shredded or
        never had one). ``pseudonyms`` cannot be shredded (ValueError)."""
        ...

    def shredded(self, owner: str) -> bool:
        """Whether the owner had a key and has none live now."""
        ...

    def rotate(self, new_master: bytes) -> int:
        """Wrap every live key under ``new_master`` in one transaction (fact rows untouched);
        return how many. The keyring uses the new master from then on."""
        ...

    def prepare(self, owners: Collection[str]) -> None:
        """Make sure each owner has a live key, in one write for all (the intake's batch),
        re-reading what another process (``hub erase``) may have shredded meanwhile."""
        ...

    def secret(self, owner: str, initial: bytes | None = None) -> bytes:
        """The owner's live data key itself, for a key the hub uses directly (the pseudonym
        secret): made from ``initial`` (a legacy secret being adopted) or at random when
        the owner has none."""
        ...


class Streams(Protocol[E]):
    """A table of event streams: each originator's events in version order."""

    def stream(self, id: UUID) -> list[E]:
        """One originator's events, oldest first ([] when none)."""
        ...

    def last(self, id: UUID) -> E | None: ...

    def append(self, events: Sequence[E]) -> None:
        """Store the events in one transaction. Raises ``StoreConflict`` and stores none when
        any originator already holds one of their versions (someone appended first)."""
        ...

    def all(self) -> Iterator[E]:
        """Every event of every stream, in the order stored."""
        ...


class ReadSide(Protocol):
    """The read side's own tables: its users, the audit, the register, the answers given, and
    the notifications sent to agencies."""

    @property
    def people(self) -> Streams[DomainEvent]: ...

    @property
    def audit(self) -> Streams[DomainEvent]: ...

    @property
    def published(self) -> Streams[DomainEvent]: ...

    @property
    def given(self) -> Streams[DomainEvent]: ...

    @property
    def notifications(self) -> Streams[DomainEvent]: ...

    def close(self) -> None: ...
