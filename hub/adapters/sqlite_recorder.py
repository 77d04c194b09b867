"""SQLite application recorder that inserts a batch with one ``executemany``.

The library's recorder executes one INSERT per event to read each ``lastrowid``. Inside the
write transaction the new rows' ids are consecutive and end at ``MAX(rowid)`` (rows are never
deleted, and SQLite assigns ``max + 1``), so one statement per batch gives the same ids.
Selected with the library's own ``APPLICATION_RECORDER_TOPIC`` setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder, SQLiteCursor


class SQLiteBatchRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        SQLiteAggregateRecorder._insert_events(self, c, stored_events, **kwargs)
        last = self._max_notification_id(c)
        return list(range(last - len(stored_events) + 1, last + 1))


TOPIC = f"{__name__}:{SQLiteBatchRecorder.__qualname__}"
