"""The intake decides, message by message, what a batch adds to the record.

Each message is one of: a new fact (recorded, its child resolved), a duplicate of a fact already
held (stored once, acknowledged), a reject (kept with a reason, never a fact), a correction
deferred because its target has not arrived yet (redelivered later), or one of the hub's own
old reject notices, left in a stream an older hub shared with them, which is passed over.
Messages are decided in stream order, so a correction may follow its target in the same batch.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import orjson

import contracts
from contracts import ContractViolation, Envelope
from hub.domain.events import FactRecorded, MessageRejected, fact_id, rejection_id
from hub.domain.identity import IdentityRegistry
from hub.errors import StoreUnavailable, fault_frames

log = logging.getLogger("hub.intake")
CORRECTIONS = ("record.corrected", "record.retracted")
INTERNAL_ERROR = (
    "the hub could not record this message (an internal error, logged for the hub's "
    "operators); it is kept and can be re-sent once fixed"
)
IDENTITY = ("identity.linked", "identity.unlinked")


@dataclass(frozen=True)
class Inbound:
    """One message as it came off the stream."""

    subject: str
    data: bytes
    stream_seq: int
    delivered: int = 1


class FactLookup(Protocol):
    """What the intake needs to know about facts already stored."""

    def existing(self, ids: Collection[UUID]) -> set[UUID]: ...

    def get(self, id: UUID) -> FactRecorded | None: ...


@dataclass
class Decisions:
    """What one batch adds: facts, rejections, and identifiers seen for the first time."""

    facts: list[FactRecorded] = field(default_factory=list)
    rejections: list[MessageRejected] = field(default_factory=list)
    identifiers: dict[UUID, UUID] = field(default_factory=dict)
    duplicates: int = 0
    passed_over: int = 0
    deferred: list[int] = field(default_factory=list)


class _Refused(Exception):
    """A message failed a check that needs the hub's records (not only the contract)."""


class _Early(Exception):
    """A correction came before its target, which may still be on its way."""


class Intake:
    """Decides what a batch of messages adds to the record. Holds no I/O of its own."""

    def __init__(
        self,
        registry: IdentityRegistry,
        facts: FactLookup,
        stream: str,
        target_deliveries: int = 1,
        digest: Callable[[Mapping[str, Any]], str] | None = None,
    ) -> None:
        self.registry = registry
        # The keyed digest of an original body (``hub.domain.privacy.Digests.body``): a sealed
        # fact keeps it, not its body, to be compared with a re-sent event's.
        self.digest = digest
        self.facts = facts
        self.stream = stream
        # A correction can overtake its target: JetStream redelivers a message whose fetch the
        # client dropped only after ack_wait. So a missing target is waited for this many
        # deliveries before the correction is refused.
        self.target_deliveries = target_deliveries

    def decide(self, batch: Sequence[Inbound], now: dt.datetime) -> Decisions:
        decisions = Decisions()
        parsed: list[tuple[Inbound, Envelope, dict[str, Any]]] = []
        for message in batch:
            if contracts.is_rejection(message.subject):
                decisions.passed_over += 1
                continue
            try:
                parsed.append((message, *self._parse(message, now)))
            except ContractViolation as error:
                decisions.rejections.append(self._reject(message, str(error), now))
            except Exception as error:  # a fault in validation must not hold up the stream
                decisions.rejections.append(self.internal_error(message, error, now))
        ids = [fact_id(event.event_id) for _, event, _ in parsed]
        stored = self.facts.existing(ids)
        in_batch: dict[UUID, FactRecorded] = {}
        for (message, event, body), id in zip(parsed, ids, strict=True):
            self.registry.mark()
            try:
                fact = self._decide_one(message, event, body, id, stored, in_batch, now)
            except (_Refused, ContractViolation) as refusal:
                self.registry.undo()
                decisions.rejections.append(
                    self._reject(message, str(refusal), now, str(event.event_id))
                )
                continue
            except _Early:
                self.registry.undo()
                decisions.deferred.append(message.stream_seq)
                continue
            except StoreUnavailable:
                raise  # the whole batch is tried again
            except Exception as error:
                # A fault in the hub's own code (identity resolution, a lookup): this message
                # is refused and kept, the rest of the batch goes on.
                self.registry.undo()
                decisions.rejections.append(
                    self.internal_error(message, error, now, str(event.event_id))
                )
                continue
            if fact is None:
                decisions.duplicates += 1
                continue
            in_batch[fact.originator_id] = fact
            decisions.facts.append(fact)
        decisions.identifiers = self.registry.staged()
        return decisions

    def _parse(self, message: Inbound, now: dt.datetime) -> tuple[Envelope, dict[str, Any]]:
        subject = contracts.parse_subject(message.subject)
        if subject is None:
            raise ContractViolation("subject must be safeguarding.v1.<agency>.<event_type>")
        if subject.agency not in contracts.AGENCIES:
            raise ContractViolation(
                f"subject: unknown agency; expected one of {', '.join(contracts.AGENCIES)}"
            )
        # orjson first: the stored body must be strict JSON (pydantic also accepts NaN).
        try:
            body = orjson.loads(message.data)
        except orjson.JSONDecodeError:
            raise ContractViolation("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ContractViolation("body must be one JSON object")
        event = contracts.parse_event(message.data, now=now)
        if event.source.agency != subject.agency:
            raise ContractViolation(
                f"source.agency '{event.source.agency}' does not match the subject's agency "
                f"'{subject.agency}'"
            )
        if event.event_type != subject.event_type:
            raise ContractViolation(
                f"event_type '{event.event_type}' does not match the subject's type"
            )
        return event, body

    def _decide_one(
        self,
        message: Inbound,
        event: Envelope,
        body: dict[str, Any],
        id: UUID,
        stored: set[UUID],
        in_batch: dict[UUID, FactRecorded],
        now: dt.datetime,
    ) -> FactRecorded | None:
        if id in stored or id in in_batch:
            earlier = in_batch.get(id) or self.facts.get(id)
            if earlier is not None and not self._same(earlier, body):
                raise _Refused(
                    "event_id is already recorded with different content; "
                    "send record.corrected to change a record"
                )
            return None
        if event.event_type in CORRECTIONS:
            self._check_target(event, in_batch, message.delivered)
        child_id, joined, other_id, other_joined = self._resolve_children(event)
        return FactRecorded(
            originator_id=id,
            originator_version=1,
            timestamp=now,
            agency=event.source.agency,
            event_type=event.event_type,
            event_id=str(event.event_id),
            body=body,
            child_id=child_id,
            joined_child_ids=joined,
            other_child_id=other_id,
            stream_seq=message.stream_seq,
            other_joined_child_ids=other_joined,
        )

    def _same(self, earlier: FactRecorded, body: dict[str, Any]) -> bool:
        """Whether ``body`` is what ``earlier`` recorded: its digest, for a sealed fact."""
        if earlier.body_digest is None:
            return earlier.body == body
        return self.digest is not None and self.digest(body) == earlier.body_digest

    def _check_target(
        self, event: Envelope, in_batch: dict[UUID, FactRecorded], delivered: int
    ) -> None:
        target_id = fact_id(event.payload.target_event_id)
        target = in_batch.get(target_id) or self.facts.get(target_id)
        if target is None:
            if delivered < self.target_deliveries:
                raise _Early
            raise _Refused(
                "payload.target_event_id is not a record the hub holds (waited for it over "
                f"{delivered} deliveries); publish the original event, then this again"
            )
        if target.agency != event.source.agency:
            raise _Refused("payload.target_event_id is another agency's record")
        if target.event_type in CORRECTIONS:
            raise _Refused("payload.target_event_id is a correction or retraction, not a record")
        if event.event_type == "record.corrected":
            contracts.parse_payload(target.event_type, event.payload.replacement)

    def _resolve_children(
        self, event: Envelope
    ) -> tuple[str | None, list[str], str | None, list[str]]:
        """(child, children it joined, the other side's child, children that side joined)."""
        if event.child is None:
            return None, [], None, []
        own = self.registry.resolve(event.child.ids.keys())
        joined = [str(child) for child in own.joined]
        if event.event_type not in IDENTITY:
            return str(own.child_id), joined, None, []
        other = self.registry.resolve(event.payload.other.ids.keys())
        other_joined = [str(child) for child in other.joined]
        return str(own.child_id), joined, str(other.child_id), other_joined

    def internal_error(
        self, message: Inbound, error: BaseException, now: dt.datetime, event_id: str | None = None
    ) -> MessageRejected:
        """A reject for a message the hub's own code failed on: kept, and logged with the
        traceback's frames, not the error's text, which may quote the message."""
        log.error("could not record stream message %d: %s", message.stream_seq, fault_frames(error))
        return self._reject(message, INTERNAL_ERROR, now, event_id or _event_id_of(message))

    def _reject(
        self, message: Inbound, reason: str, now: dt.datetime, event_id: str | None = None
    ) -> MessageRejected:
        subject = contracts.parse_subject(message.subject)
        return MessageRejected(
            originator_id=rejection_id(
                self.stream, message.stream_seq, message.subject, message.data
            ),
            originator_version=1,
            timestamp=now,
            subject=shown_subject(message.subject),
            agency=subject.agency if subject and subject.agency in contracts.AGENCIES else "",
            reason=reason,
            event_id=event_id,
            raw_base64=base64.b64encode(message.data).decode("ascii"),
            stream_seq=message.stream_seq,
        )


def _event_id_of(message: Inbound) -> str | None:
    """The message's ``event_id`` if it has a well-formed one, for a reject's notice."""
    try:
        body = orjson.loads(message.data)
    except orjson.JSONDecodeError:
        return None
    value = body.get("event_id") if isinstance(body, dict) else None
    try:
        return str(UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def shown_subject(subject: str) -> str:
    """The subject as a reject records and shows it: an agency's or event type's token that is
    not the contract's is replaced by ``unknown``, since a sender may have put anything there
    (an NHS number, a name) and rejects reach logs, notices and ``hub rejects``."""
    parsed = contracts.parse_subject(subject)
    if parsed is None:
        return f"{contracts.ALL[:-1]}unknown"
    agency = parsed.agency if parsed.agency in contracts.AGENCIES else "unknown"
    event_type = parsed.event_type if parsed.event_type in contracts.EVENT_TYPES else "unknown"
    return contracts.subject_for(agency, event_type)
