"""The hub's tables, all written through the eventsourcing library's recorders.

- the application's own table: the facts, in order; its notification id is the position;
- ``<name>_identifiers``: the identity registry (identifier digest -> hub child);
- ``<name>_rejections``: messages that were not valid events;
- ``<name>_keys``: the secrets the hub generated for itself, in clear (stores made before the
  keyring; read to adopt the pseudonym secret);
- ``hub_data_keys``: the keyring, data keys wrapped under the master key (plain SQL,
  ``hub.adapters.keyring``), its rows updated when shredded or rewrapped;
- ``<name>_people``, ``<name>_audit``, ``<name>_published``, ``<name>_given``: the read side's
  users, its audit chain, the register of published figures and the public answers given
  (streams of versioned events, ``StreamTable``);
- ``<name>_notifications``: what the hub told each agency (``hub.domain.notifications``), one
  stream per notification, its id derived from the cause (the outbox of ``hub serve``).

Only the facts are in the notification log, so readers follow facts and nothing else. The
library has no "which of these ids are stored?" query, which idempotent batches need; it is the
only SQL written here, once per backend. The library's persistence errors become the hub's
``StoreUnavailable``/``StoreConflict`` here, at the port, so nothing above sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from functools import wraps
from typing import Any, Generic, ParamSpec, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    Notification,
    PersistenceError,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory
from psycopg.sql import SQL, Identifier

from hub.adapters.application import HubApplication
from hub.adapters.keyring import MasterKey, MasterSource, SqlKeyring
from hub.adapters.sqlite_recorder import SQLiteBatchRecorder
from hub.domain.events import FactRecorded, IdentifierRegistered, KeyGenerated, MessageRejected
from hub.errors import StoreConflict, StoreUnavailable

_CHUNK = 500
E = TypeVar("E", bound=DomainEvent)
P = ParamSpec("P")
R = TypeVar("R")


def _translated(method: Callable[P, R]) -> Callable[P, R]:
    """The library's persistence errors, as the hub's: all mean "try this again"."""

    @wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except IntegrityError as error:
            raise StoreConflict("another writer stored part of this batch") from error
        except PersistenceError as error:
            raise StoreUnavailable(f"event store unavailable: {type(error).__name__}") from None

    return call


class RecorderTable(Generic[E]):
    """One recorder's table of events, with the few reads the hub needs beyond the library's."""

    def __init__(
        self, recorder: ApplicationRecorder, mapper: Mapper[UUID], app: HubApplication
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        # Held: the library closes the database when its application is collected, so a table
        # kept on its own (``build_store(s).facts``) must keep the application alive.
        self._app = app

    def _insert(self, events: Sequence[DomainEvent]) -> Sequence[int]:
        stored = [self.mapper.to_stored_event(event) for event in events]
        return (self.recorder.insert_events(stored) or []) if stored else []

    @_translated
    def add_new(self, events: Sequence[E]) -> None:
        held = self._existing_all([event.originator_id for event in events])
        fresh = [event for event in events if event.originator_id not in held]
        try:
            self._insert(fresh)
        except IntegrityError:
            # Another writer stored some meanwhile: fall back to one at a time.
            for event in fresh:
                try:
                    self._insert([event])
                except IntegrityError:
                    continue

    @_translated
    def get(self, id: UUID) -> E | None:
        stored = self.recorder.select_events(id, limit=1)
        return cast(E, self.mapper.to_domain_event(stored[0])) if stored else None

    def all(self) -> Iterator[E]:
        for notification in self.notifications():
            yield cast(E, self.mapper.to_domain_event(notification))

    @_translated
    def existing(self, ids: Collection[UUID]) -> set[UUID]:
        return self._existing_all(ids)

    def _existing_all(self, ids: Collection[UUID]) -> set[UUID]:
        ids = list(ids)
        found: set[UUID] = set()
        for start in range(0, len(ids), _CHUNK):
            found.update(self._existing(ids[start : start + _CHUNK]))
        return found

    def _existing(self, ids: list[UUID]) -> set[UUID]:
        recorder = self.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            marks = ",".join("?" * len(ids))
            sql = (
                f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "  # noqa: S608
                f"WHERE originator_id IN ({marks})"
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(sql, [id.hex for id in ids])
                return {UUID(row[0]) for row in cursor.fetchall()}
        recorder = cast(PostgresApplicationRecorder, recorder)
        query = SQL(
            "SELECT DISTINCT originator_id FROM {}.{} WHERE originator_id = ANY(%s)"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (ids,))
            return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}

    @_translated
    def count(self) -> int:
        recorder = self.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {recorder.events_table_name}")  # noqa: S608
                return int(cursor.fetchone()[0])
        recorder = cast(PostgresApplicationRecorder, recorder)
        query = SQL("SELECT COUNT(*) AS n FROM {}.{}").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query)
            row = cursor.fetchone()
            return int(row["n"]) if row else 0

    @_translated
    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    @_translated
    def page(self, after: int, limit: int) -> Sequence[Notification]:
        return self.recorder.select_notifications(after, limit, inclusive_of_start=False)

    def notifications(self, after: int = 0, page: int = 1000) -> Iterator[Notification]:
        while True:
            notifications = self.page(after, page)
            yield from notifications
            if len(notifications) < page:
                return
            after = notifications[-1].id


class FactTable(RecorderTable[FactRecorded]):
    """The application's own table: the log of facts."""

    @_translated
    def append(self, facts: Sequence[FactRecorded]) -> int:
        # The recorder directly: Application.save checks each event against a runtime
        # Protocol, which costs more than the insert itself.
        return max(self._insert(facts), default=0)

    def close(self) -> None:
        """Close the database under this table (and every table of its application)."""
        self._app.close()

    def last(self) -> FactRecorded | None:
        last = self.position()
        if not last:
            return None
        notifications = self.page(last - 1, 1)
        return cast(FactRecorded, self.mapper.to_domain_event(notifications[0]))


class StreamTable(RecorderTable[E]):
    """A table of event streams: each originator's events in version order, versions unique
    (``hub.service.ports.Streams``)."""

    @_translated
    def stream(self, id: UUID) -> list[E]:
        return [cast(E, self.mapper.to_domain_event(s)) for s in self.recorder.select_events(id)]

    @_translated
    def last(self, id: UUID) -> E | None:
        stored = self.recorder.select_events(id, desc=True, limit=1)
        return cast(E, self.mapper.to_domain_event(stored[0])) if stored else None

    @_translated
    def append(self, events: Sequence[E]) -> None:
        self._insert(events)


class EventStore:
    """The hub's tables in the application's database (``hub.service.ports.Store``)."""

    def __init__(self, app: HubApplication, master: MasterSource | None = None) -> None:
        self.app = app
        self.facts = FactTable(app.recorder, app.mapper, app)
        self.identifiers: RecorderTable[IdentifierRegistered] = _side_table(app, "identifiers")
        self.rejections: RecorderTable[MessageRejected] = _side_table(app, "rejections")
        self.keys: RecorderTable[KeyGenerated] = _side_table(app, "keys")
        self.keyring = SqlKeyring(_datastore(app), master or _default_master(app))

    def close(self) -> None:
        self.app.close()


class ReadSideStore:
    """The read side's own tables, in the same database as the facts
    (``hub.service.ports.ReadSide``): kept with the store, backed up with it."""

    def __init__(self, app: HubApplication) -> None:
        self.app = app
        self.people: StreamTable[Any] = _side_table(app, "people", StreamTable)
        self.audit: StreamTable[Any] = _side_table(app, "audit", StreamTable)
        self.published: StreamTable[Any] = _side_table(app, "published", StreamTable)
        self.given: StreamTable[Any] = _side_table(app, "given", StreamTable)
        self.notifications: StreamTable[Any] = _side_table(app, "notifications", StreamTable)

    def close(self) -> None:
        self.app.close()


def _datastore(app: HubApplication) -> Any:
    factory = app.factory
    if isinstance(factory, (SQLiteFactory, PostgresFactory)):
        return factory.datastore
    raise TypeError(f"unsupported persistence module: {type(factory).__module__}")


def _default_master(app: HubApplication) -> MasterSource:
    """Without settings (a test's store): ``keys/master.key`` beside a SQLite database."""
    from pathlib import Path

    name = app.env.get("SQLITE_DBNAME") or ""
    if not name or name.startswith(":memory:") or "mode=memory" in name:
        raise TypeError("give EventStore its master key source")
    folder = Path(name).parent
    return MasterKey(None, folder / "keys" / "master.key")


T = TypeVar("T", bound=RecorderTable[Any])


@_translated
def _side_table(
    app: HubApplication,
    purpose: str,
    kind: type[T] = RecorderTable,  # type: ignore[assignment]
) -> T:
    """A further table in the application's database, e.g. ``hub_rejections``."""
    factory = app.factory
    name = f"{app.name.lower()}_{purpose}"
    recorder: ApplicationRecorder
    if isinstance(factory, SQLiteFactory):
        recorder = SQLiteBatchRecorder(factory.datastore, events_table_name=name)
    elif isinstance(factory, PostgresFactory):
        recorder = PostgresApplicationRecorder(factory.datastore, events_table_name=name)
    else:
        raise TypeError(f"unsupported persistence module: {type(factory).__module__}")
    recorder.create_table()
    return kind(recorder, app.mapper, app)


__all__ = ["EventStore", "FactTable", "ReadSideStore", "RecorderTable", "StreamTable"]
