"""The hub's read port (``hub.feed.FactFeed``) over the event store.

Facts are stored as plain orjson (no library cipher, no compression: the identifying parts
are sealed per child inside the row, ``hub.domain.privacy``, and the feed gives only the
derivation view), so they are read straight from the row: the library's mapper would first
rebuild the whole event object, which costs several times more than a projector applying it.
The tagged-JSON knowledge stays here, beside the transcoder that writes it
(``hub.adapters.transcoder``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson
from eventsourcing.persistence import Notification

from hub.adapters.store import FactTable
from hub.domain.events import FactRecorded
from hub.feed import StoredFact

_FACT_TOPIC = f"{FactRecorded.__module__}:{FactRecorded.__qualname__}"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


class StoreFeed:
    def __init__(self, facts: FactTable) -> None:
        self.facts = facts
        mapper = facts.mapper
        self._plain = mapper.cipher is None and mapper.compressor is None

    def close(self) -> None:
        self.facts.close()

    def head(self) -> int:
        return self.facts.position()

    def origin(self) -> str | None:
        first = self.facts.page(0, 1)
        return str(first[0].originator_id) if first else None

    def read(self, after: int, limit: int) -> Sequence[StoredFact]:
        return [self._fact(notification) for notification in self.facts.page(after, limit)]

    def _fact(self, notification: Notification) -> StoredFact:
        state: dict[str, Any]
        if self._plain and notification.topic == _FACT_TOPIC:
            state = orjson.loads(notification.state)
            recorded_us = _us(dt.datetime.fromisoformat(state["timestamp"]["_data_"]))
        else:
            event = self.facts.mapper.to_domain_event(notification)
            assert isinstance(event, FactRecorded), "the hub's log holds facts only"
            state = event.__dict__
            recorded_us = _us(event.timestamp)
        return StoredFact(
            notification.id,
            recorded_us,
            state["agency"],
            state["event_type"],
            state["event_id"],
            state["body"],
            state["child_id"],
            state["joined_child_ids"],
            state["other_child_id"],
            state.get("other_joined_child_ids", ()),
        )
