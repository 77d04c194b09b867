"""Sharing back: the notifications ``hub serve`` sends each agency, as it happens
(``docs/notifications.md``; the public interface is ``contracts.notifications``).

The projector decides what should be said: its ``notice`` rows (raise / withdraw, no
identifier) and its deadlines (``projections.notices``, ``projections.due``). The ``Notifier``
says it, once: for each notice it derives the ``notification_id`` from the cause, and what
``hub_notifications`` already holds for that id decides what happens.

- nothing: the recipient's own identifiers for the child are looked up (its own facts'
  originals, unsealed); none held: ``NotificationRaised`` and ``NotificationWithheld`` are
  stored, and nothing is sent. Otherwise ``NotificationRaised`` is stored (the outbox), the
  body is published on ``safeguarding.v1.notify.<agency>.<kind>`` with ``Nats-Msg-Id`` = the
  id, and ``NotificationPublished`` is stored once JetStream has acknowledged it;
- raised, not published (a crash, or NATS away): the same body is published again, with the
  same id (its ``raised_at`` is the one stored);
- published or withheld: nothing.

A publish that fails keeps the notification in the outbox, retried every ``RETRY_EVERY``
seconds; a restarted Notifier finds it in ``hub_notifications``. The logs say counts and kinds,
never a body or an identifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEvent

import contracts
import projections
from contracts import notifications as spec
from hub.domain.events import FactRecorded
from hub.domain.notifications import (
    ERASED,
    NO_IDENTIFIER,
    WITHDRAWN_FIRST,
    NotificationPublished,
    NotificationRaised,
    NotificationWithheld,
)
from hub.domain.privacy import Seals, original_body
from hub.errors import InputError, StoreConflict, StoreUnavailable, fault_frames
from hub.service.ports import Streams

log = logging.getLogger("hub.notify")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TICK_EVERY = 15.0
"""Seconds between reads of the deadlines fallen due (overdue return interviews)."""
RETRY_EVERY = 5.0
"""Seconds between attempts to publish what could not be published (NATS away)."""
PAGE = 1000

Publish = Callable[[str, bytes, str], Awaitable[None]]
"""``(subject, body, msg_id)``: publish and await JetStream's acknowledgement; raise when it
was not acknowledged."""
Clock = Callable[[], dt.datetime]


class Notice(Protocol):
    """A row of the projection's ``notice`` table (``projections.Notice``)."""

    @property
    def position(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def recorded_us(self) -> int: ...
    @property
    def action(self) -> str: ...  # "raise" | "withdraw"
    @property
    def kind(self) -> str: ...  # on a withdraw: the kind withdrawn, or "*"
    @property
    def recipient(self) -> str: ...  # on a withdraw: the recipient, or "*"
    @property
    def cause_id(self) -> bytes: ...
    @property
    def cause_type(self) -> str: ...
    @property
    def cause_agency(self) -> str: ...
    @property
    def cause_us(self) -> int: ...
    @property
    def root(self) -> bytes | None: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def target_id(self) -> bytes | None: ...


class NoticeReader(Protocol):
    """What the Notifier reads of the projection (``ProjectionNotices`` on the real one)."""

    def notices(
        self, after: int, limit: int, recorded_since_us: int | None
    ) -> Sequence[Notice]: ...

    def due(self, since_us: int, until_us: int) -> Sequence[Notice]: ...

    def children_of(self, root: bytes) -> Sequence[bytes]: ...

    def facts_by(self, members: Sequence[bytes], agency: str) -> Sequence[bytes]: ...


class ProjectionNotices:
    """``NoticeReader`` on the projection database, opened at its first use (on the
    Notifier's worker thread, not the event loop)."""

    def __init__(self, open: Callable[[], projections.ProjectionStore]) -> None:
        self._open = open
        self._projection: projections.ProjectionStore | None = None

    @property
    def projection(self) -> projections.ProjectionStore:
        if self._projection is None:
            self._projection = self._open()
        return self._projection

    def notices(self, after: int, limit: int, recorded_since_us: int | None) -> Sequence[Notice]:
        return projections.notices(
            self.projection, after, limit, recorded_since_us=recorded_since_us
        )

    def due(self, since_us: int, until_us: int) -> Sequence[Notice]:
        return projections.due(self.projection, since_us, until_us)

    def children_of(self, root: bytes) -> Sequence[bytes]:
        return projections.children_of(self.projection, root)

    def facts_by(self, members: Sequence[bytes], agency: str) -> Sequence[bytes]:
        return projections.facts_by(self.projection, members, agency)


class FactLog(Protocol):
    def get(self, id: UUID) -> FactRecorded | None: ...


class Held(Protocol):
    """What the Notifier reads of the store: facts by id, and the keyring to open them."""

    @property
    def facts(self) -> FactLog: ...

    @property
    def keyring(self) -> Seals: ...


@dataclass
class NotifierHealth:
    """Counts since ``hub serve`` started (``serve.json``): never a body or an identifier."""

    sent: int = 0
    withheld: int = 0
    too_old: int = 0  # causes that occurred more than HUB_NOTIFY_WITHIN before recorded
    pending: int = 0  # in the outbox: raised, not yet acknowledged by JetStream
    last_published_at: float | None = None  # seconds since the epoch
    fault: str | None = None  # the type of the last fault, while it lasts

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Outgoing:
    id: UUID
    kind: str
    agency: str
    subject: str
    data: bytes


class Notifier:
    """Sends what the projection's notices say, once per cause (see the module docstring).

    Its store and projection calls are blocking: ``step`` makes them on a worker thread.
    One Notifier per store at a time (``hub serve`` holds the writer lease)."""

    def __init__(
        self,
        streams: Streams[Any],
        store: Held,
        reader: NoticeReader,
        publish: Publish,
        *,
        within: float = 7 * 86_400,
        clock: Clock = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.streams = streams
        self.store = store
        self.reader = reader
        self.publish = publish
        self.within_us = int(within * 1_000_000)
        self.clock = clock
        self.health = NotifierHealth()
        self._started = False
        self._cursor = 0
        self._since_us = 0
        self._tick_us = 0
        self._timed: set[UUID] = set()  # overdue notifications already stored
        self._outbox: dict[UUID, _Outgoing] = {}  # stored as raised, to publish
        self._acked: dict[UUID, _Outgoing] = {}  # published, not yet marked in the store
        self._retry_at: dt.datetime | None = None

    # -- the loop -------------------------------------------------------------------------

    async def run(self, every: float = 0.25) -> None:
        """Until cancelled: a step every ``every`` seconds; a fault is logged (once while it
        lasts, its type and frames, never its text) and the step tried again."""
        while True:
            try:
                await self.step()
                if self.health.fault is not None:
                    log.info("notifications flowing again")
                self.health.fault = None
            except Exception as error:  # a fault must not end the notifier unseen
                fault = type(error).__name__
                if fault != self.health.fault:
                    if isinstance(error, StoreUnavailable):
                        log.warning("notifications wait for the store (%s); retrying", fault)
                    else:
                        log.error("the notifier failed; retrying: %s", fault_frames(error))
                self.health.fault = fault
            await asyncio.sleep(every)

    async def step(self) -> None:
        """Read what is new (and, every ``TICK_EVERY`` seconds, what fell due), then publish
        the outbox."""
        if not self._started:
            await asyncio.to_thread(self.start)
        await asyncio.to_thread(self.read)
        await self.send()

    # -- on the worker thread -------------------------------------------------------------

    def start(self) -> None:
        """Start from the notices recorded in the last ``within``, and put back in the outbox
        every notification raised and neither published nor withheld (a crash, NATS away)."""
        now = _us(self.clock())
        self._since_us = now - self.within_us
        self._tick_us = 0  # the first step reads the deadlines
        self._cursor = 0
        streams: dict[UUID, list[DomainEvent]] = {}
        for event in self.streams.all():
            streams.setdefault(event.originator_id, []).append(event)
        for events in streams.values():
            events.sort(key=lambda e: e.originator_version)
            if len(events) == 1 and isinstance(events[0], NotificationRaised):
                self._again(events)
        self._started = True
        self.health.pending = len(self._outbox)
        if self._outbox:
            log.info("%d notifications raised before and not sent yet: sending", len(self._outbox))

    def read(self) -> None:
        """The notices after the cursor, each handled in order (the cursor moves past a page
        once it is handled), and every ``TICK_EVERY`` seconds the deadlines fallen due."""
        while True:
            rows = self.reader.notices(self._cursor, PAGE, self._since_us)
            for row in rows:
                self._handle(row)
            if rows:
                last = rows[-1].position
                full = len(rows) >= PAGE
                # A full page may end part-way through a position: read that one again (what
                # was handled is recognised by its id).
                if full and rows[0].position != last:
                    self._cursor = last - 1
                else:
                    self._cursor = last
            if len(rows) < PAGE:
                break
        now = _us(self.clock())
        if now - self._tick_us >= TICK_EVERY * 1_000_000:
            # The whole window each time, not only since the last tick: a deadline can be
            # recorded already past (a "found" sent days after it happened), or fall due
            # before its "found" notification was acknowledged. What was raised is skipped.
            for row in self.reader.due(now - self.within_us, now):
                if row.action == "raise":
                    self._raise(row, timed=True)
            self._tick_us = now
        self.health.pending = len(self._outbox)

    def _handle(self, row: Notice) -> None:
        if row.action == "raise":
            self._raise(row, timed=False)
        elif row.action == "withdraw":
            self._withdraw(row)
        else:
            log.warning("a notice with an unknown action (%s) was passed over", row.action)

    def _raise(self, row: Notice, *, timed: bool) -> None:
        kind, recipient = row.kind, row.recipient
        if recipient not in spec.RECIPIENTS.get(kind, ()):
            log.warning("a %s notice for %s was passed over: not a recipient", kind, recipient)
            return
        cause = UUID(bytes=row.cause_id)
        id = spec.notification_id(cause, kind, recipient)
        if timed:
            if id in self._timed:
                return
            # An overdue return interview only follows its "found" notification.
            found = spec.notification_id(cause, spec.LOOKED_AFTER_CHILD_FOUND, spec.LA)
            if not any(isinstance(e, NotificationPublished) for e in self.streams.stream(found)):
                return
        elif row.cause_us < row.recorded_us - self.within_us:
            self.health.too_old += 1  # history, not news
            return
        held = self.streams.stream(id)
        if held:
            self._again(held)
        elif row.root is None:
            log.warning("a %s notice names no child: passed over", kind)
        else:
            self._open(self._raised(id, row))
        if timed:
            self._timed.add(id)  # stored: not looked at again

    def _raised(self, id: UUID, row: Notice) -> NotificationRaised:
        assert row.root is not None
        now = self.clock()
        return NotificationRaised(
            originator_id=id,
            originator_version=1,
            timestamp=now,
            agency=row.recipient,
            kind=row.kind,
            cause=_cause(row),
            detail=dict(row.detail),
            raised_at=spec.rfc3339(now),
            root=str(UUID(bytes=row.root)),
        )

    def _withdraw(self, row: Notice) -> None:
        """A ``withdrawn`` notice for each notification the retracted or corrected fact had
        raised and the agency was sent; one raised and not yet sent is withheld instead."""
        if row.target_id is None:
            return
        target = UUID(bytes=row.target_id)
        for kind, recipients in spec.RECIPIENTS.items():
            if row.kind not in ("*", kind):
                continue
            for recipient in recipients:
                if row.recipient not in ("*", recipient):
                    continue
                original = spec.notification_id(target, kind, recipient)
                held = self.streams.stream(original)
                if not held or not isinstance(held[0], NotificationRaised):
                    continue
                sent = original in self._acked or any(
                    isinstance(e, NotificationPublished) for e in held
                )
                if len(held) == 1 and not sent:  # raised, not sent: not to be sent now
                    self._outbox.pop(original, None)
                    self._mark(held, NotificationWithheld, reason=WITHDRAWN_FIRST)
                    continue
                if not sent:
                    continue  # withheld: the agency was told nothing
                withdrawal = spec.withdrawal_id(original)
                already = self.streams.stream(withdrawal)
                if already:
                    self._again(already)
                    continue
                now = self.clock()
                self._open(
                    NotificationRaised(
                        originator_id=withdrawal,
                        originator_version=1,
                        timestamp=now,
                        agency=recipient,
                        kind=spec.WITHDRAWN,
                        cause=_cause(row),
                        detail={},
                        raised_at=spec.rfc3339(now),
                        root=held[0].root,
                        withdraws=str(original),
                    )
                )

    def _open(self, raised: NotificationRaised) -> None:
        """Store a new notification: raised and withheld, or raised and in the outbox."""
        ids, reason = self._identifiers(raised)
        events: list[DomainEvent] = [raised]
        if reason is not None:
            events.append(_next(raised, NotificationWithheld, raised.timestamp, reason=reason))
        try:
            self.streams.append(events)
        except StoreConflict:
            return  # stored meanwhile: what is held is what was decided
        if reason is not None:
            self.health.withheld += 1
            log.info("a %s notification to %s was not sent: %s", raised.kind, raised.agency, reason)
            return
        self._outbox[raised.originator_id] = _outgoing(raised, ids)

    def _again(self, held: Sequence[DomainEvent]) -> None:
        """A notification already stored: back in the outbox if raised and not yet marked."""
        raised = held[0]
        if len(held) > 1 or not isinstance(raised, NotificationRaised):
            return
        if raised.originator_id in self._outbox or raised.originator_id in self._acked:
            return
        ids, reason = self._identifiers(raised)
        if reason is not None:
            self._mark(held, NotificationWithheld, reason=reason)
            self.health.withheld += 1
            return
        self._outbox[raised.originator_id] = _outgoing(raised, ids)

    def _identifiers(self, raised: NotificationRaised) -> tuple[dict[str, str], str | None]:
        """The identifiers the recipient itself holds for the child: from its own facts about
        any of the child's hub identities (and the cause's, which a retraction has taken out of
        the living), the latest recorded last; or why there are none."""
        agency = raised.agency
        root = UUID(raised.root)
        members = list(self.reader.children_of(root.bytes)) or [root.bytes]
        wanted = {UUID(bytes=id) for id in self.reader.facts_by(members, agency)}
        children = {str(UUID(bytes=member)) for member in members}
        hints = [UUID(str(raised.cause["event_id"]))]
        if raised.withdraws is not None:
            original = self.streams.stream(UUID(raised.withdraws))
            if original and isinstance(original[0], NotificationRaised):
                hints.append(UUID(str(original[0].cause["event_id"])))
        facts: list[FactRecorded] = []
        for id in [*wanted, *(hint for hint in hints if hint not in wanted)]:
            fact = self.store.facts.get(id)
            if fact is None or fact.agency != agency:
                continue
            if id not in wanted and fact.child_id not in children:
                continue
            facts.append(fact)
        facts.sort(key=lambda fact: (fact.timestamp, fact.event_id))
        ids: dict[str, str] = {}
        erased = 0
        for fact in facts:
            body = original_body(fact, self.store.keyring)
            if body is None:
                erased += 1
                continue
            child = body.get("child")
            held = child.get("ids") if isinstance(child, dict) else None
            if isinstance(held, dict):
                ids.update(spec.own_identifiers(agency, held))
        if ids:
            return ids, None
        return {}, ERASED if facts and erased == len(facts) else NO_IDENTIFIER

    def _mark(self, held: Sequence[DomainEvent], kind: type[DomainEvent], **fields: Any) -> None:
        last = held[-1]
        with contextlib.suppress(StoreConflict):  # marked meanwhile
            self.streams.append([_next(last, kind, self.clock(), **fields)])

    # -- publishing -----------------------------------------------------------------------

    async def send(self) -> None:
        """Publish the outbox, in the order raised; stop at the first failure (NATS away) and
        try again ``RETRY_EVERY`` seconds later. What JetStream acknowledged is marked (a mark
        the store refused is tried again first, without publishing it again)."""
        if self._acked:
            await asyncio.to_thread(self._mark_published)
        if not self._outbox:
            return
        if self._retry_at is not None and self.clock() < self._retry_at:
            return
        sent: Counter[tuple[str, str]] = Counter()
        failed: BaseException | None = None
        for outgoing in list(self._outbox.values()):
            try:
                await self.publish(outgoing.subject, outgoing.data, str(outgoing.id))
            except Exception as error:  # NATS's errors, a timeout: kept, retried
                failed = error
                break
            del self._outbox[outgoing.id]
            self._acked[outgoing.id] = outgoing
            sent[outgoing.agency, outgoing.kind] += 1
        self.health.pending = len(self._outbox)
        if sent:
            self.health.sent += sum(sent.values())
            self.health.last_published_at = self.clock().timestamp()
            log.info(
                "sent %d notifications: %s",
                sum(sent.values()),
                ", ".join(f"{n} {kind} to {agency}" for (agency, kind), n in sorted(sent.items())),
            )
        if failed is not None:
            if self._retry_at is None:
                log.warning(
                    "could not publish %d notifications (%s): kept, retried every %gs",
                    len(self._outbox),
                    type(failed).__name__,
                    RETRY_EVERY,
                )
            self._retry_at = self.clock() + dt.timedelta(seconds=RETRY_EVERY)
        elif self._retry_at is not None:
            log.info("notifications published again after a failure")
            self._retry_at = None
        if self._acked:
            await asyncio.to_thread(self._mark_published)

    def _mark_published(self) -> None:
        """``NotificationPublished`` for each acknowledged one (raises ``StoreUnavailable``
        with the rest still to mark)."""
        now = spec.rfc3339(self.clock())
        for id in list(self._acked):
            held = self.streams.stream(id)
            if len(held) == 1:
                self._mark(held, NotificationPublished, published_at=now)
            del self._acked[id]

    # -- for the operator -----------------------------------------------------------------

    def list(self, agency: str, since: dt.datetime | None = None) -> list[dict[str, Any]]:
        return sent_to(self.streams, agency, since)


def sent_to(
    streams: Streams[Any], agency: str, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """What the hub raised for ``agency`` (since ``since``), oldest first: each
    notification's id, kind, cause, detail and times, and whether it was sent, withheld (and
    why) or withdrawn; never the child's identifiers (the child by its hub child id)."""
    if agency not in contracts.AGENCIES:
        raise InputError(
            f"{agency!r} is not an agency; the agencies are {', '.join(contracts.AGENCIES)}"
        )
    held: dict[UUID, list[DomainEvent]] = {}
    for event in streams.all():
        held.setdefault(event.originator_id, []).append(event)
    withdrawn: dict[str, str] = {}
    for events in held.values():
        first = events[0]
        if (
            isinstance(first, NotificationRaised)
            and first.withdraws is not None
            and any(isinstance(e, NotificationPublished) for e in events)
        ):
            withdrawn[first.withdraws] = str(first.originator_id)
    rows = []
    for id, events in held.items():
        events.sort(key=lambda e: e.originator_version)
        raised = events[0]
        if not isinstance(raised, NotificationRaised) or raised.agency != agency:
            continue
        if since is not None and raised.timestamp < since:
            continue
        published = next((e for e in events if isinstance(e, NotificationPublished)), None)
        withheld = next((e for e in events if isinstance(e, NotificationWithheld)), None)
        rows.append(
            {
                "notification_id": str(id),
                "kind": raised.kind,
                "child": raised.root,
                "cause": dict(raised.cause),
                "detail": dict(raised.detail),
                "raised_at": raised.raised_at,
                "state": "sent" if published else "withheld" if withheld else "pending",
                "published_at": published.published_at if published else None,
                "withheld": withheld.reason if withheld else None,
                "withdraws": raised.withdraws,
                "withdrawn_by": withdrawn.get(str(id)),
            }
        )
    rows.sort(key=lambda row: str(row["raised_at"]))  # stable: as stored, within a time
    return rows


def _cause(row: Notice) -> dict[str, Any]:
    return {
        "event_id": str(UUID(bytes=row.cause_id)),
        "event_type": row.cause_type,
        "agency": row.cause_agency,
        "occurred_at": spec.rfc3339(_EPOCH + dt.timedelta(microseconds=row.cause_us)),
    }


def _outgoing(raised: NotificationRaised, ids: dict[str, str]) -> _Outgoing:
    """The body, the same bytes every time for the same stored notification."""
    body = spec.body(
        notification=raised.originator_id,
        kind=raised.kind,
        agency=raised.agency,
        child_ids=ids,
        cause=raised.cause,
        detail=raised.detail,
        raised_at=dt.datetime.fromisoformat(raised.raised_at),
        withdraws=UUID(raised.withdraws) if raised.withdraws is not None else None,
    )
    return _Outgoing(
        raised.originator_id,
        raised.kind,
        raised.agency,
        spec.notify_subject(raised.agency, raised.kind),
        orjson.dumps(body),
    )


def _next(last: DomainEvent, kind: type[DomainEvent], timestamp: dt.datetime, **fields: Any) -> Any:
    """The next event of ``last``'s stream."""
    return kind(
        originator_id=last.originator_id,
        originator_version=last.originator_version + 1,
        timestamp=timestamp,
        **fields,
    )


def _us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


__all__ = [
    "Notice",
    "NoticeReader",
    "Notifier",
    "NotifierHealth",
    "ProjectionNotices",
    "Publish",
    "sent_to",
]
