"""Records a batch of messages: decide, store once, then report what happened.

Order of writes for one batch: new identifiers, then data keys (``Keyring.prepare``), then
facts (one transaction), then rejections. Ids are derived from natural keys, so a crash between
any two writes leaves nothing that a redelivery of the same batch would not write again
identically (data keys made for facts never stored are used by the redelivery).

Every fact is stored sealed (``hub.domain.privacy``): its body is the derivation view, the
original sealed under its child's data key; a reject's message is sealed the same way.

The in-memory identity registry follows the identifiers table: it takes the batch's
identifiers once the facts are committed, and after any other failure it is reloaded from the
table, the source of truth.

Faults are contained per message: ``StoreUnavailable`` means "try the whole batch again";
any other exception is a fault in the hub's own code, so the batch is recorded again one
message at a time and the message that fails alone becomes a kept reject with an
internal-error reason, while the stream flows on. A fault that every message of the batch
meets alike is not about the messages (a broken dependency, say): it is treated as the store
being unavailable, and the batch is held and retried rather than every message refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from hub.domain import privacy
from hub.domain.events import (
    PSEUDONYM_KEY_ID,
    FactRecorded,
    IdentifierRegistered,
    MessageRejected,
    Pseudonyms,
)
from hub.domain.identity import IdentityRegistry
from hub.domain.intake import Inbound, Intake
from hub.errors import ConfigurationError, StoreUnavailable, fault_frames
from hub.service.ports import Store

log = logging.getLogger("hub.ingest")


@dataclass(frozen=True)
class Outcome:
    """What one batch did. ``position`` is the highest position it wrote, or 0.

    ``deferred`` holds the stream sequences of corrections to redeliver later (their target
    has not arrived); they are neither stored nor refused.
    """

    stored: int
    duplicates: int
    rejections: list[MessageRejected] = field(default_factory=list)
    position: int = 0
    deferred: list[int] = field(default_factory=list)


class IngestService:
    """Owns the store's tables and the identity registry. One writer per store (a lease)."""

    def __init__(
        self,
        store: Store,
        stream: str,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        target_deliveries: int = 1,
    ) -> None:
        self.store = store
        self._clock = clock
        self.keyring = store.keyring
        secret = pseudonym_secret(store)
        self.digests = privacy.Digests(secret)
        self.registry = IdentityRegistry(Pseudonyms(secret))
        self._registry_stale = True
        self._load_registry()
        self.intake = Intake(
            self.registry, store.facts, stream, target_deliveries, digest=self.digests.body
        )
        last = store.facts.last()
        self._last_recorded = last.timestamp if last else dt.datetime.min.replace(tzinfo=dt.UTC)
        self._lock = threading.Lock()

    def record(self, batch: Sequence[Inbound]) -> Outcome:
        """Decide and store one batch. Blocking: call it off the event loop.

        Raises StoreUnavailable (or StoreConflict) when the batch should be tried again.
        """
        with self._lock:
            try:
                return self._record(batch)
            except StoreUnavailable:
                raise
            except Exception as error:
                log.error(
                    "recording a batch of %d failed in the hub's own code; recording it one"
                    " message at a time: %s",
                    len(batch),
                    fault_frames(error),
                )
            return self._one_at_a_time(batch)

    def _record(self, batch: Sequence[Inbound]) -> Outcome:
        try:
            self._load_registry()
            now = self._recorded_time()
            decisions = self.intake.decide(batch, now)
            self.store.identifiers.add_new(
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
            position = self.store.facts.append(self._sealed(decisions.facts))
        except BaseException:
            self._registry_stale = True
            raise
        self.registry.commit()
        rejections = self._sealed_rejects(decisions.rejections)
        self.store.rejections.add_new(rejections)
        return Outcome(
            len(decisions.facts),
            decisions.duplicates,
            rejections,
            position,
            decisions.deferred,
        )

    def _one_at_a_time(self, batch: Sequence[Inbound]) -> Outcome:
        stored = duplicates = position = 0
        rejections: list[MessageRejected] = []
        deferred: list[int] = []
        outcomes: list[Outcome] = []
        failed: list[tuple[Inbound, Exception]] = []
        for message in batch:
            try:
                outcomes.append(self._record([message]))
            except StoreUnavailable:
                raise
            except Exception as fault:
                failed.append((message, fault))
        if len(batch) > 1 and len(failed) == len(batch):
            kinds = {type(error).__name__ for _, error in failed}
            if len(kinds) == 1:
                log.error("every message of a batch failed alike: %s", fault_frames(failed[0][1]))
                raise StoreUnavailable(
                    f"every message of the batch failed alike ({kinds.pop()}): a fault in the"
                    " hub, not in the messages"
                )
        for message, error in failed:
            sealed = self._sealed_rejects(
                [self.intake.internal_error(message, error, self._recorded_time())]
            )
            self.store.rejections.add_new(sealed)
            outcomes.append(Outcome(0, 0, sealed))
        for outcome in outcomes:
            stored += outcome.stored
            duplicates += outcome.duplicates
            rejections += outcome.rejections
            deferred += outcome.deferred
            position = max(position, outcome.position)
        return Outcome(stored, duplicates, rejections, position, deferred)

    def _sealed(self, facts: Sequence[FactRecorded]) -> list[FactRecorded]:
        """The facts as stored: views, with their originals sealed under their keys. A
        correction or retraction names no child, but what it says is about its target's: it
        is sealed under that child's key, so erasing the child takes it too."""
        owners = [self._owner(fact, facts) for fact in facts]
        self.keyring.prepare(privacy.owners_of(facts) | {o for o in owners if o})
        return [
            privacy.seal_fact(fact, self.keyring, self.digests, owner)
            for fact, owner in zip(facts, owners, strict=True)
        ]

    def _owner(self, fact: FactRecorded, batch: Sequence[FactRecorded]) -> str | None:
        target = (fact.body.get("payload") or {}).get("target_event_id")
        if fact.child_id or fact.event_type not in privacy.AMENDMENTS or not target:
            return None
        found = next((f for f in batch if f.event_id == target), None)
        found = found or self.store.facts.get(UUID(target))
        return found.child_id if found is not None else None

    def _sealed_rejects(self, rejections: Sequence[MessageRejected]) -> list[MessageRejected]:
        """Each reject with its message sealed under the key of the child it names (looked
        up, never registered), else of its month's rejects."""
        if not rejections:
            return []
        plans = []
        for rejection in rejections:
            data = base64.b64decode(rejection.raw_base64)
            try:
                _, named = self.registry.find(privacy.identifier_keys(data))
            except Exception as error:  # a reject is kept whatever the hub's own code does
                log.error("could not look up a reject's child: %s", fault_frames(error))
                named = []
            owner = privacy.reject_owner(rejection)
            plans.append((rejection, data, owner, [str(id) for id in named]))
        self.keyring.prepare({owner for _, _, owner, _ in plans})
        return [
            privacy.seal_reject(rejection, data, owner, named, self.keyring)
            for rejection, data, owner, named in plans
        ]

    def _load_registry(self) -> None:
        if self._registry_stale:
            self.registry.reload(
                {
                    event.originator_id: UUID(event.child_id)
                    for event in self.store.identifiers.all()
                }
            )
            self._registry_stale = False

    def _recorded_time(self) -> dt.datetime:
        # Each batch is stamped strictly later than the last, so "recorded by T" is a prefix
        # of the log, and no batch committed later can share the stamp of one already seen.
        now = max(self._clock(), self._last_recorded + dt.timedelta(microseconds=1))
        self._last_recorded = now
        return now


def pseudonym_secret(store: Store) -> bytes:
    """The pseudonym secret: the keyring's ``pseudonyms`` key, wrapped under the master key.
    A store made before the keyring kept it in clear in ``hub_keys``: that secret is adopted
    into the keyring, so the store keeps the same pseudonyms."""
    legacy = store.keys.get(PSEUDONYM_KEY_ID)
    initial = base64.b64decode(legacy.secret_base64) if legacy is not None else None
    secret = store.keyring.secret(privacy.PSEUDONYMS, initial)
    if initial is not None and secret != initial:
        raise ConfigurationError(
            "the store's keyring and its hub_keys table hold different pseudonym secrets"
        )
    return secret
