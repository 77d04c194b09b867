"""The hub's tables, all written through the eventsourcing library's recorders.

- the application's own table: the facts, in order; its notification id is the global position;
- ``<name>_identifiers``: the identity registry (identifier digest -> hub child);
- ``<name>_rejections``: messages that were not valid events.

Only the facts are in the notification log, so projections follow facts and nothing else.
The library has no "which of these ids are stored?" query, which idempotent batches need;
it is the only SQL written here, once per backend.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    Notification,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory
from psycopg.sql import SQL, Identifier

from hub.adapters.sqlite_recorder import SQLiteBatchRecorder

_CHUNK = 500


class Table:
    """One recorder's table, with the few reads the hub needs beyond the library's API."""

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> None:
        self.recorder = recorder
        self.mapper = mapper

    def insert(self, events: Sequence[Any]) -> Sequence[int] | None:
        stored = [self.mapper.to_stored_event(event) for event in events]
        return self.recorder.insert_events(stored) if stored else None

    def insert_new(self, events: Sequence[Any]) -> None:
        """Insert, skipping events already stored (a redelivered batch)."""
        stored = self.existing([event.originator_id for event in events])
        fresh = [event for event in events if event.originator_id not in stored]
        try:
            self.insert(fresh)
        except IntegrityError:
            # Another writer stored some meanwhile: fall back to one at a time.
            for event in fresh:
                try:
                    self.insert([event])
                except IntegrityError:
                    continue

    def get(self, id: UUID) -> Any | None:
        stored = self.recorder.select_events(id, limit=1)
        return self.mapper.to_domain_event(stored[0]) if stored else None

    def existing(self, ids: Collection[UUID]) -> set[UUID]:
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

    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def read(self, after: int = 0, page: int = 1000) -> Iterator[Any]:
        """Every event in the table, in recorded order."""
        for notification in self.notifications(after, page):
            yield self.mapper.to_domain_event(notification)

    def notifications(self, after: int = 0, page: int = 1000) -> Iterator[Notification]:
        while True:
            notifications = self.recorder.select_notifications(
                after, page, inclusive_of_start=False
            )
            yield from notifications
            if len(notifications) < page:
                return
            after = notifications[-1].id


def side_table(app: Application[UUID], purpose: str) -> Table:
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
    return Table(recorder, app.mapper)


__all__ = ["Table", "side_table"]
