"""What the service layer needs from storage, as ports the adapters implement.

``hub.adapters.store.EventStore`` is the real one (the eventsourcing library's recorders, on
SQLite or PostgreSQL); ``tests/fakes.py`` holds an in-memory one that the same contract tests
check (``tests/integration/test_store_port.py``). Every method raises
``hub.errors.StoreUnavailable`` when the store cannot be used now, and nothing else for a
storage fault, so callers tell "try again" from a fault in their own code.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Protocol, TypeVar
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

    def close(self) -> None:
        """Let go of the database's connections; the store is not used after it."""
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
    """The read side's own tables: its users, the audit, the register, the answers given."""

    @property
    def people(self) -> Streams[DomainEvent]: ...

    @property
    def audit(self) -> Streams[DomainEvent]: ...

    @property
    def published(self) -> Streams[DomainEvent]: ...

    @property
    def given(self) -> Streams[DomainEvent]: ...

    def close(self) -> None: ...
