"""Honest in-memory fakes of the hub's ports, for tests that need no server.

``MemoryStore`` is the Store port (``hub.service.ports``) and, through ``feed()``, the read
port (``hub.feed.FactFeed``). ``tests/integration/test_store_port.py`` runs the same contract
tests against it and the real ``EventStore`` on SQLite and PostgreSQL, so what a test learns
from it holds for them. Faults are injected through ``store.down`` (every call raises
``StoreUnavailable``) and ``store.fail_next`` (the next few calls raise).

``FakeRecorder`` is the Recorder port (``hub.service.ordered``): a real ``IngestService`` on a
``MemoryStore``, run on one worker thread as ``WriterThread`` runs it, that can be held at the
door (``block``/``release``) to stand for a stuck store.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import datetime as dt
import secrets
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEvent

import contracts
from hub.adapters.keyring import DataKeys, FixedMaster, KeyRow
from hub.domain.events import FactRecorded, IdentifierRegistered, KeyGenerated, MessageRejected
from hub.domain.intake import Inbound
from hub.errors import StoreConflict, StoreUnavailable
from hub.feed import StoredFact
from hub.service.ingest import IngestService, Outcome

E = TypeVar("E", bound=DomainEvent)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_STUCK_LIMIT = 60.0  # a blocked recorder gives up after this, so a forgotten release cannot hang


def inbound(*bodies: dict[str, Any], start: int = 1) -> list[Inbound]:
    """Events as stream messages on their agency's subject, sequences from ``start``."""
    return [
        Inbound(
            contracts.subject_for(body["source"]["agency"], body["event_type"]),
            orjson.dumps(body),
            seq,
        )
        for seq, body in enumerate(bodies, start=start)
    ]


class Faults:
    """Storage faults to inject, shared by every table of one store and its feed."""

    def __init__(self) -> None:
        self.down = False
        self._pending: list[tuple[str | None, type[Exception]]] = []

    def fail_next(
        self, times: int = 1, *, on: str | None = None, error: type[Exception] = StoreUnavailable
    ) -> None:
        """The next ``times`` calls (of ``on``, e.g. ``"facts.append"``; of any when None)
        raise ``error``, before they read or change anything."""
        self._pending += [(on, error)] * times

    def check(self, call: str) -> None:
        if self.down:
            raise StoreUnavailable(f"event store unavailable (injected, at {call})")
        for index, (on, error) in enumerate(self._pending):
            if on in (None, call):
                del self._pending[index]
                raise error(f"injected fault at {call}")


class MemoryRecords(Generic[E]):
    """One side table (``Records``): events keyed by ``originator_id`` (always version 1)."""

    def __init__(self, name: str, faults: Faults) -> None:
        self._name = name
        self._faults = faults
        self._events: dict[UUID, E] = {}  # insertion-ordered

    def add_new(self, events: Sequence[E]) -> None:
        self._faults.check(f"{self._name}.add_new")
        for event in events:
            self._events.setdefault(event.originator_id, event)

    def get(self, id: UUID) -> E | None:
        self._faults.check(f"{self._name}.get")
        return self._events.get(id)

    def all(self) -> Iterator[E]:
        # A generator, as the real table's: the fault comes with the first item.
        self._faults.check(f"{self._name}.all")
        yield from list(self._events.values())

    def existing(self, ids: Collection[UUID]) -> set[UUID]:
        self._faults.check(f"{self._name}.existing")
        return {id for id in ids if id in self._events}

    def count(self) -> int:
        self._faults.check(f"{self._name}.count")
        return len(self._events)


class MemoryStreams(Generic[E]):
    """A table of event streams (``Streams``): versions unique per originator, as the real
    table's key makes them; a batch with a taken version stores none of its events."""

    def __init__(self, name: str = "streams", faults: Faults | None = None) -> None:
        self._name = name
        self._faults = faults or Faults()
        self._events: list[E] = []
        self._taken: set[tuple[UUID, int]] = set()
        self._lock = threading.Lock()

    def stream(self, id: UUID) -> list[E]:
        self._faults.check(f"{self._name}.stream")
        found = [e for e in self._events if e.originator_id == id]
        return sorted(found, key=lambda e: e.originator_version)

    def last(self, id: UUID) -> E | None:
        found = self.stream(id)
        return found[-1] if found else None

    def append(self, events: Sequence[E]) -> None:
        self._faults.check(f"{self._name}.append")
        keys = [(e.originator_id, e.originator_version) for e in events]
        with self._lock:
            if self._taken.intersection(keys) or len(set(keys)) < len(keys):
                raise StoreConflict("a version is already stored")
            self._taken.update(keys)
            self._events.extend(events)

    def all(self) -> Iterator[E]:
        self._faults.check(f"{self._name}.all")
        yield from list(self._events)


class MemoryReadSide:
    """The read side's tables (``ReadSide``)."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.people: MemoryStreams[Any] = MemoryStreams("people", self.faults)
        self.audit: MemoryStreams[Any] = MemoryStreams("audit", self.faults)
        self.published: MemoryStreams[Any] = MemoryStreams("published", self.faults)
        self.given: MemoryStreams[Any] = MemoryStreams("given", self.faults)
        self.notifications: MemoryStreams[Any] = MemoryStreams("notifications", self.faults)

    def close(self) -> None:
        pass


class MemoryKeyTable:
    """``hub_data_keys`` in memory: rows keyed by (owner, version), tombstones kept."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._faults = faults or Faults()
        self._rows: dict[tuple[str, int], KeyRow] = {}
        self.shredded_at: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def rows(self, owners: Collection[str]) -> list[KeyRow]:
        self._faults.check("keyring.rows")
        wanted = set(owners)
        with self._lock:
            return [row for row in self._rows.values() if row.owner in wanted]

    def insert(self, rows: Sequence[KeyRow], created_at: str) -> None:
        self._faults.check("keyring.insert")
        with self._lock:
            for row in rows:
                self._rows.setdefault((row.owner, row.version), row)

    def shred(self, owners: Collection[str], at: str) -> int:
        self._faults.check("keyring.shred")
        wanted, count = set(owners), 0
        with self._lock:
            for key, row in list(self._rows.items()):
                if row.owner in wanted and row.wrapped is not None:
                    self._rows[key] = dataclasses.replace(row, wrapped=None)
                    self.shredded_at[key] = at
                    count += 1
        return count

    def rewrap(self, rewrap: Callable[[KeyRow], bytes], master_key_id: str) -> int:
        self._faults.check("keyring.rewrap")
        with self._lock:
            live = {key: row for key, row in self._rows.items() if row.wrapped is not None}
            done = {  # all or none, as one transaction
                key: dataclasses.replace(row, wrapped=rewrap(row), master_key_id=master_key_id)
                for key, row in live.items()
            }
            self._rows.update(done)
        return len(done)

    def master_key_ids(self) -> set[str]:
        self._faults.check("keyring.master_key_ids")
        with self._lock:
            return {row.master_key_id for row in self._rows.values() if row.wrapped is not None}


class MemoryKeyring(DataKeys):
    """The Keyring port in memory: real AES-GCM, the same logic as ``SqlKeyring``, on a
    ``MemoryKeyTable``; checked by the same contract tests (test_keyring_port.py)."""

    def __init__(self, master: bytes | None = None, faults: Faults | None = None) -> None:
        super().__init__(MemoryKeyTable(faults), FixedMaster(master or secrets.token_bytes(32)))


class MemoryFacts:
    """The log of facts (``Facts``): positions 1, 2, 3... assigned at append."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._positions: list[int] = []
        self._log: list[FactRecorded] = []
        self._by_id: dict[UUID, FactRecorded] = {}

    def existing(self, ids: Collection[UUID]) -> set[UUID]:
        self._faults.check("facts.existing")
        return {id for id in ids if id in self._by_id}

    def get(self, id: UUID) -> FactRecorded | None:
        self._faults.check("facts.get")
        return self._by_id.get(id)

    def append(self, facts: Sequence[FactRecorded]) -> int:
        self._faults.check("facts.append")
        ids = [fact.originator_id for fact in facts]
        if len(set(ids)) < len(ids) or any(id in self._by_id for id in ids):
            raise StoreConflict("another writer stored part of this batch")
        for fact in facts:
            self._positions.append(len(self._log) + 1)
            self._log.append(fact)
            self._by_id[fact.originator_id] = fact
        return self._positions[-1] if facts else 0

    def position(self) -> int:
        self._faults.check("facts.position")
        return self._positions[-1] if self._positions else 0

    def last(self) -> FactRecorded | None:
        self._faults.check("facts.last")
        return self._log[-1] if self._log else None

    def count(self) -> int:
        self._faults.check("facts.count")
        return len(self._log)

    def all(self) -> Iterator[FactRecorded]:
        self._faults.check("facts.all")
        yield from list(self._log)

    def page(self, after: int, limit: int) -> list[tuple[int, FactRecorded]]:
        """Up to ``limit`` (position, fact) pairs after position ``after``."""
        self._faults.check("facts.page")
        start = bisect.bisect_right(self._positions, after)
        end = start + max(limit, 0)
        return list(zip(self._positions[start:end], self._log[start:end], strict=True))


def stored_fact(position: int, fact: FactRecorded) -> StoredFact:
    """A fact as the read port gives it, field by field as ``hub.adapters.feed`` reads a row
    (the body and lists as they come back from the store's JSON)."""
    return StoredFact(
        position,
        (fact.timestamp - _EPOCH) // dt.timedelta(microseconds=1),
        fact.agency,
        fact.event_type,
        fact.event_id,
        orjson.loads(orjson.dumps(fact.body)),
        fact.child_id,
        list(fact.joined_child_ids),
        fact.other_child_id,
        list(fact.other_joined_child_ids),
    )


class MemoryFeed:
    """The read port (``FactFeed``) over a MemoryStore's facts."""

    def __init__(self, facts: MemoryFacts) -> None:
        self._facts = facts

    def head(self) -> int:
        return self._facts.position()

    def origin(self) -> str | None:
        first = self._facts.page(0, 1)
        return str(first[0][1].originator_id) if first else None

    def read(self, after: int, limit: int) -> Sequence[StoredFact]:
        return [stored_fact(position, fact) for position, fact in self._facts.page(after, limit)]


class MemoryStore:
    """The Store port in memory. ``down = True`` makes every call raise StoreUnavailable."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.facts = MemoryFacts(self.faults)
        self.identifiers: MemoryRecords[IdentifierRegistered] = MemoryRecords(
            "identifiers", self.faults
        )
        self.rejections: MemoryRecords[MessageRejected] = MemoryRecords("rejections", self.faults)
        self.keys: MemoryRecords[KeyGenerated] = MemoryRecords("keys", self.faults)
        self.keyring = MemoryKeyring()  # its own faults: the store's count calls as before

    @property
    def down(self) -> bool:
        return self.faults.down

    @down.setter
    def down(self, down: bool) -> None:
        self.faults.down = down

    def fail_next(
        self, times: int = 1, *, on: str | None = None, error: type[Exception] = StoreUnavailable
    ) -> None:
        """See ``Faults.fail_next``; ``on`` names a call as ``"<table>.<method>"``."""
        self.faults.fail_next(times, on=on, error=error)

    def feed(self) -> MemoryFeed:
        return MemoryFeed(self.facts)

    def close(self) -> None:
        """The memory is the database, and outlives its users: nothing to let go of."""


class FakeRecorder:
    """The Recorder port: an IngestService on a MemoryStore, on one worker thread.

    ``store.down = True`` makes each call raise StoreUnavailable (from the store, through the
    service) until set back; ``block()`` holds each call, as a stuck store would, until
    ``release()``. ``calls`` lists the stream sequences of every call in the order made;
    ``recorded`` those of every call that returned an outcome.
    """

    restarts = 0

    def __init__(
        self,
        store: MemoryStore | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.store = store or MemoryStore()
        if clock is None:
            self.ingest = IngestService(self.store, "TEST")
        else:
            self.ingest = IngestService(self.store, "TEST", clock=clock)
        self.calls: list[list[int]] = []
        self.recorded: list[list[int]] = []
        self.closed_with: float | None = None
        self._open = threading.Event()
        self._open.set()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fake-recorder")

    def block(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def record(self, batch: Sequence[Inbound]) -> Outcome:
        seqs = [message.stream_seq for message in batch]
        self.calls.append(seqs)
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._executor, self._record, list(batch))
        self.recorded.append(seqs)
        return outcome

    def _record(self, batch: list[Inbound]) -> Outcome:
        if not self._open.wait(_STUCK_LIMIT):
            raise StoreUnavailable("the fake recorder was blocked and never released")
        return self.ingest.record(batch)

    def close(self, grace: float) -> None:
        # As WriterThread: a call stuck on the store is left behind, never waited for.
        self.closed_with = grace
        self._executor.shutdown(wait=False, cancel_futures=True)
