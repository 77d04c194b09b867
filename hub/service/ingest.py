"""Records a batch of messages: decide, store once, then report what happened.

Order of writes for one batch: new identifiers, then facts (one transaction), then rejections.
Ids are derived from natural keys, so a crash between any two writes leaves nothing that a
redelivery of the same batch would not write again identically. The in-memory identity
registry follows the identifiers table: it takes the batch's identifiers once the facts are
committed, and after any other failure it is reloaded from the table, the source of truth.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError, PersistenceError

from hub.adapters.store import Table, side_table
from hub.domain.events import (
    PSEUDONYM_KEY_ID,
    IdentifierRegistered,
    KeyGenerated,
    MessageRejected,
    Pseudonyms,
)
from hub.domain.identity import IdentityRegistry
from hub.domain.intake import Inbound, Intake
from hub.errors import StoreConflict, StoreUnavailable
from hub.service.application import HubApplication


@dataclass(frozen=True)
class Outcome:
    """What one batch did. ``position`` is the highest global position it wrote, or 0.

    ``deferred`` holds the stream sequences of corrections to redeliver later (their target
    has not arrived); they are neither stored nor refused.
    """

    stored: int
    duplicates: int
    rejections: list[MessageRejected] = field(default_factory=list)
    position: int = 0
    deferred: list[int] = field(default_factory=list)


class IngestService:
    """Owns the store's tables and the identity registry. One writer per store."""

    def __init__(
        self,
        app: HubApplication,
        stream: str,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        target_deliveries: int = 1,
    ) -> None:
        self.app = app
        self._clock = clock
        self.facts = Table(app.recorder, app.mapper)
        self.identifiers = side_table(app, "identifiers")
        self.rejections = side_table(app, "rejections")
        self.registry = IdentityRegistry(Pseudonyms(self._secret(side_table(app, "keys"))))
        self._registry_stale = True
        self._load_registry()
        self.intake = Intake(self.registry, self.facts, stream, target_deliveries)
        self._last_recorded = self._last_recorded_time()
        self._lock = threading.Lock()

    def record(self, batch: Sequence[Inbound]) -> Outcome:
        """Decide and store one batch. Blocking: call it off the event loop.

        Raises StoreUnavailable (or StoreConflict) when the batch should be tried again.
        """
        with self._lock, _store_errors():
            try:
                self._load_registry()
                now = self._recorded_time()
                decisions = self.intake.decide(batch, now)
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
            except BaseException:
                self._registry_stale = True
                raise
            self.registry.commit()
            self.rejections.insert_new(decisions.rejections)
            position = max((r.notification.id for r in recordings), default=0)
            return Outcome(
                len(decisions.facts),
                decisions.duplicates,
                decisions.rejections,
                position,
                decisions.deferred,
            )

    def _load_registry(self) -> None:
        if self._registry_stale:
            self.registry.reload(
                {event.originator_id: UUID(event.child_id) for event in self.identifiers.read()}
            )
            self._registry_stale = False

    @staticmethod
    def _secret(keys: Table) -> bytes:
        """The pseudonym key: generated once, kept in the store beside what it protects."""
        stored = keys.get(PSEUDONYM_KEY_ID)
        if stored is None:
            keys.insert_new(
                [
                    KeyGenerated(
                        originator_id=PSEUDONYM_KEY_ID,
                        originator_version=1,
                        timestamp=dt.datetime.now(dt.UTC),
                        purpose="pseudonyms",
                        secret_base64=base64.b64encode(secrets.token_bytes(32)).decode(),
                    )
                ]
            )
            stored = keys.get(PSEUDONYM_KEY_ID)  # another writer may have won: use theirs
        assert isinstance(stored, KeyGenerated)
        return base64.b64decode(stored.secret_base64)

    def _last_recorded_time(self) -> dt.datetime:
        last = self.facts.position()
        event = next(self.facts.read(after=last - 1, page=1), None) if last else None
        return event.timestamp if event else dt.datetime.min.replace(tzinfo=dt.UTC)

    def _recorded_time(self) -> dt.datetime:
        # Each batch is stamped strictly later than the last, so "recorded by T" is a prefix
        # of the log, and no batch committed later can share the stamp of one already seen.
        now = max(self._clock(), self._last_recorded + dt.timedelta(microseconds=1))
        self._last_recorded = now
        return now


@contextmanager
def _store_errors() -> Iterator[None]:
    """The library's persistence errors, as the hub's: all mean "try this batch again"."""
    try:
        yield
    except IntegrityError as error:
        raise StoreConflict("another writer stored part of this batch") from error
    except PersistenceError as error:
        raise StoreUnavailable(f"event store unavailable: {type(error).__name__}") from None
