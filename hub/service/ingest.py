"""Records a batch of messages: decide, store once, then report what happened.

Order of writes for one batch: new identifiers, then facts (one transaction), then rejections.
Ids are derived from natural keys, so a crash between any two writes leaves nothing that a
redelivery of the same batch would not write again identically.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from hub.adapters.store import Table, side_table
from hub.domain.events import IdentifierRegistered, MessageRejected
from hub.domain.identity import IdentityRegistry
from hub.domain.intake import Inbound, Intake
from hub.errors import StoreConflict, StoreUnavailable
from hub.service.application import HubApplication


@dataclass(frozen=True)
class Outcome:
    """What one batch did. ``position`` is the highest global position it wrote, or 0."""

    stored: int
    duplicates: int
    rejections: list[MessageRejected] = field(default_factory=list)
    position: int = 0


class IngestService:
    """Owns the store's tables and the identity registry. One writer per store."""

    def __init__(self, app: HubApplication, stream: str) -> None:
        self.app = app
        self.facts = Table(app.recorder, app.mapper)
        self.identifiers = side_table(app, "identifiers")
        self.rejections = side_table(app, "rejections")
        self.registry = IdentityRegistry(
            {event.originator_id: UUID(event.child_id) for event in self.identifiers.read()}
        )
        self.intake = Intake(self.registry, self.facts, stream)
        self._last_recorded = self._last_recorded_time()
        self._lock = threading.Lock()

    def record(self, batch: Sequence[Inbound]) -> Outcome:
        """Decide and store one batch. Blocking: call it off the event loop."""
        with self._lock:
            now = self._recorded_time()
            decisions = self.intake.decide(batch, now)
            try:
                self.identifiers.insert_new(
                    [
                        IdentifierRegistered(
                            originator_id=id,
                            originator_version=1,
                            timestamp=now,
                            child_id=str(child),
                        )
                        for id, child in decisions.identifiers.items()
                    ]
                )
                # The event store directly: Application.save checks each event against a
                # runtime Protocol, which costs more than the insert itself.
                recordings = self.app.events.put(decisions.facts)
                self.rejections.insert_new(decisions.rejections)
            except IntegrityError as error:
                self.registry.rollback()
                raise StoreConflict("another writer stored part of this batch") from error
            except (OperationalError, InterfaceError) as error:
                self.registry.rollback()
                raise StoreUnavailable(f"event store unavailable: {type(error).__name__}") from None
            except BaseException:
                self.registry.rollback()
                raise
            self.registry.commit()
            position = max((r.notification.id for r in recordings), default=0)
            return Outcome(
                len(decisions.facts), decisions.duplicates, decisions.rejections, position
            )

    def _last_recorded_time(self) -> dt.datetime:
        last = self.facts.position()
        event = next(self.facts.read(after=last - 1, page=1), None) if last else None
        return event.timestamp if event else dt.datetime.min.replace(tzinfo=dt.UTC)

    def _recorded_time(self) -> dt.datetime:
        # Recorded times never go backwards, so "recorded by T" is a prefix of the log.
        now = max(dt.datetime.now(dt.UTC), self._last_recorded)
        self._last_recorded = now
        return now
