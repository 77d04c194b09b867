"""Sharing back: the notifications ``hub serve`` sends each agency, as it happens
(``docs/notifications.md``; the public interface is ``contracts.notifications``).

The projector decides what should be said: its ``notice`` rows (raise / withdraw, no
identifier) and its deadlines (``projections.notices``, ``projections.due``; read through
``hub.service.notices``). The ``Notifier`` says it, once: for each notice it derives the
``notification_id`` from the cause, and what ``hub_notifications`` already holds for that id
decides what happens.

- nothing: the recipient's own identifiers for the child are looked up (``hub.service.naming``:
  its own facts' originals, unsealed); none held: ``NotificationRaised`` and
  ``NotificationWithheld`` are stored, and nothing is sent. Otherwise ``NotificationRaised``
  is stored (the outbox), the body is published on ``safeguarding.v1.notify.<agency>.<kind>``
  with ``Nats-Msg-Id`` = the id, and ``NotificationPublished`` is stored once JetStream has
  acknowledged it;
- raised, not published (a crash, or NATS away): the same body is published again, with the
  same id (its ``raised_at`` and the child's hub identities are the ones stored);
- published or withheld: nothing.

The notices are read after a cursor, (position, seq): every row, however many a run of facts
raised. A row whose handling fails for a fault of the hub's own (a bug) is logged (its type and
frames) and passed over, counted as ``failed``; the store away stops the pass there, and the
next one starts from that row. The deadlines are read apart from the notices, only while the
projection has caught up with the store. A publish that fails keeps the notification in the
outbox, retried every ``RETRY_EVERY`` seconds, and shows as the notifier's fault until it is
published; a restarted Notifier finds it in ``hub_notifications``. The logs say counts and
kinds, never a body or an identifier. (What the operator lists: ``hub.service.notified``.)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEvent

from contracts import notifications as spec
from hub.domain.notifications import (
    WITHDRAWN_FIRST,
    NotificationPublished,
    NotificationRaised,
    NotificationWithheld,
)
from hub.errors import ConfigurationError, StoreConflict, StoreUnavailable, fault_frames
from hub.service.naming import Held, Named, Naming
from hub.service.notices import Cursor, Notice, NoticeReader, ProjectionNotices
from hub.service.notified import sent_to
from hub.service.ports import Streams

log = logging.getLogger("hub.notify")
_WAIT = (StoreUnavailable, ConfigurationError)
"""Faults that stop a pass at the row, read again next time, rather than pass it over: the
store away, or a data key that does not open (a master key rotated under a running hub, a
wrong key file), which an operator mends; passing the row over would lose it."""
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


@dataclass
class NotifierHealth:
    """Counts since ``hub serve`` started (``serve.json``): never a body or an identifier."""

    sent: int = 0
    withheld: int = 0
    too_old: int = 0  # causes that occurred more than HUB_NOTIFY_WITHIN before recorded
    failed: int = 0  # notices passed over after a fault of the hub's own (logged, a bug)
    pending: int = 0  # in the outbox: raised, not yet acknowledged by JetStream
    last_published_at: float | None = None  # seconds since the epoch
    unpublished_since: float | None = None  # the outbox has failed to publish since then
    fault: str | None = None  # the last fault, while it lasts

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
        self.naming = Naming(store, reader)
        self._started = False
        self._cursor: Cursor = (0, 0)
        self._since_us = 0
        self._tick_us = 0
        self._tick_at: int | None = None  # a tick fallen due, waiting for the projection
        self._timed: set[UUID] = set()  # overdue notifications already stored
        self._broken: set[tuple[bytes, str, str]] = set()  # deadlines passed over (a fault)
        self._outbox: dict[UUID, _Outgoing] = {}  # stored as raised, to publish
        self._acked: dict[UUID, _Outgoing] = {}  # published, not yet marked in the store
        self._retry_at: dt.datetime | None = None
        self._step_fault: str | None = None  # why the last step failed
        self._publish_fault: str | None = None  # while the outbox cannot be published

    # -- the loop -------------------------------------------------------------------------

    async def run(self, every: float = 0.25) -> None:
        """Until cancelled: a step every ``every`` seconds; a fault is logged (once while it
        lasts, its type and frames, never its text) and the step tried again."""
        while True:
            try:
                await self.step()
                if self._step_fault is not None:
                    log.info("the notifier works again")
                self._step_fault = None
            except Exception as error:  # a fault must not end the notifier unseen
                fault = type(error).__name__
                if fault != self._step_fault:
                    if isinstance(error, StoreUnavailable):
                        log.warning("notifications wait for the store (%s); retrying", fault)
                    else:
                        log.error("the notifier failed; retrying: %s", fault_frames(error))
                self._step_fault = fault
            self._show_fault()
            await asyncio.sleep(every)

    async def step(self) -> None:
        """Read what is new (and, every ``TICK_EVERY`` seconds, what fell due), then publish
        the outbox (also when the reading failed)."""
        if not self._started:
            await asyncio.to_thread(self.start)
        try:
            await asyncio.to_thread(self.read)
        finally:
            await self.send()

    def _show_fault(self) -> None:
        self.health.fault = self._step_fault or self._publish_fault

    # -- on the worker thread -------------------------------------------------------------

    def start(self) -> None:
        """Start from the notices recorded in the last ``within``, and put back in the outbox
        every notification raised and neither published nor withheld (a crash, NATS away)."""
        now = _us(self.clock())
        self._since_us = now - self.within_us
        self._tick_us = 0  # the first step reads the deadlines
        self._tick_at = None
        self._cursor = (0, 0)
        self.naming.forget()
        streams: dict[UUID, list[DomainEvent]] = {}
        for event in self.streams.all():
            streams.setdefault(event.originator_id, []).append(event)
        for events in streams.values():
            events.sort(key=lambda e: e.originator_version)
            if len(events) == 1 and isinstance(events[0], NotificationRaised):
                try:
                    self._again(events)
                except _WAIT:
                    raise  # the whole start again, at the next step
                except Exception as error:  # a bug: this notification, not every other
                    self.health.failed += 1
                    log.error(
                        "a %s notification was left out of the outbox after a fault: %s",
                        events[0].kind,
                        fault_frames(error),
                    )
        self._started = True
        self.health.pending = len(self._outbox)
        if self._outbox:
            log.info("%d notifications raised before and not sent yet: sending", len(self._outbox))

    def read(self) -> None:
        """The notices after the cursor, each handled in order, then (every ``TICK_EVERY``
        seconds, whatever became of the notices) the deadlines fallen due. Raises the first
        fault that stopped either, once both were tried."""
        self.naming.forget()  # what the recipients hold is looked up afresh at each pass
        failed: Exception | None = None
        try:
            self._read_notices()
        except Exception as error:  # the store or the projection away: the tick still runs
            failed = error
        try:
            self._tick()
        finally:
            self.health.pending = len(self._outbox)
        if failed is not None:
            raise failed

    def _read_notices(self) -> None:
        """The cursor moves past each row once it is handled (or passed over for a fault of
        the hub's own); the store away stops the pass at the row, read again next time."""
        head = self.reader.notice_head()  # before the rows: every row up to it is read below
        while True:
            rows = self.reader.notices(self._cursor, PAGE, self._since_us)
            for row in rows:
                self._isolated(self._handle, row)
                self._cursor = (row.position, row.seq)
            if len(rows) < PAGE:
                break
        # Past rows the window leaves out (recorded before it): an idle read stays cheap.
        self._cursor = max(self._cursor, head)

    def _tick(self) -> None:
        """The deadlines fallen due, over the whole window each time, not only since the last
        tick: a deadline can be recorded already past (a "found" sent days after it happened),
        or fall due before its "found" notification was acknowledged. What was raised is
        skipped. Not while the projection is behind the store: its deadlines may not have met
        the return interviews that end them yet; the next tick reads them again."""
        if self._tick_at is None:
            now = _us(self.clock())
            if now - self._tick_us < TICK_EVERY * 1_000_000:
                return
            self._tick_at = now  # judged as of now, once the projection has what was stored
        if not self.reader.caught_up():
            return  # tried again at the next step, not the next tick
        at = self._tick_at
        for row in self.reader.due(at - self.within_us, at):
            key = (row.cause_id, row.kind, row.recipient)
            if row.action != "raise" or key in self._broken:
                continue
            if not self._isolated(self._raise_timed, row):
                self._broken.add(key)  # not tried again at each tick
        self._tick_us, self._tick_at = at, None

    def _isolated(self, handle: Callable[[Notice], None], row: Notice) -> bool:
        """``handle(row)``; False when it failed for a fault of the hub's own, which is logged
        (its type and frames, never its text) and counted. The store away is raised."""
        try:
            handle(row)
        except _WAIT:
            raise
        except Exception as error:  # a bug: this row only, not every row after it
            self.health.failed += 1
            log.error(
                "a %s notice (%s) was passed over after a fault: %s",
                row.action,
                row.kind,
                fault_frames(error),
            )
            return False
        return True

    def _handle(self, row: Notice) -> None:
        if row.action == "raise":
            self._raise(row, timed=False)
        elif row.action == "withdraw":
            self._withdraw(row)
        else:
            log.warning("a notice with an unknown action (%s) was passed over", row.action)

    def _raise_timed(self, row: Notice) -> None:
        self._raise(row, timed=True)

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
            self._open(self._raised(id, row, row.root))
        if timed:
            self._timed.add(id)  # stored: not looked at again

    def _raised(self, id: UUID, row: Notice, root: bytes) -> NotificationRaised:
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
            root=str(UUID(bytes=root)),
            members=self._members(root),
        )

    def _members(self, root: bytes) -> list[str]:
        """The hub child ids of ``root``'s component now (root first)."""
        return [str(UUID(bytes=member)) for member in self.reader.children_of(root) or [root]]

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
                        members=held[0].members,  # the child the agency was told of
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
        except StoreConflict:  # stored meanwhile: what is held decides, as on a re-read
            self._again(self.streams.stream(raised.originator_id))
            return
        if reason is not None:
            self.health.withheld += 1
            log.info("a %s notification to %s was not sent: %s", raised.kind, raised.agency, reason)
            return
        self._outbox[raised.originator_id] = _outgoing(raised, ids)

    def _again(self, held: Sequence[DomainEvent]) -> None:
        """A notification already stored: back in the outbox if raised and not yet marked."""
        if len(held) != 1 or not isinstance(held[0], NotificationRaised):
            return
        raised = held[0]
        if raised.originator_id in self._outbox or raised.originator_id in self._acked:
            return
        ids, reason = self._identifiers(raised)
        if reason is not None:
            self._mark(held, NotificationWithheld, reason=reason)
            self.health.withheld += 1
            return
        self._outbox[raised.originator_id] = _outgoing(raised, ids)

    def _identifiers(self, raised: NotificationRaised) -> Named:
        """The identifiers the recipient itself holds for the child it was raised about: from
        its own facts about the hub children stored with it (the component as it is now for
        one stored before they were), and the cause's (a retraction has taken it out of the
        living); or why there are none."""
        members = raised.members
        if members is None:
            members = self._members(UUID(raised.root).bytes)
        hints = [UUID(str(raised.cause["event_id"]))]
        if raised.withdraws is not None:
            original = self.streams.stream(UUID(raised.withdraws))
            if original and isinstance(original[0], NotificationRaised):
                hints.append(UUID(str(original[0].cause["event_id"])))
        return self.naming.identifiers(members, raised.agency, hints)

    def _mark(self, held: Sequence[DomainEvent], kind: type[DomainEvent], **fields: Any) -> None:
        last = held[-1]
        with contextlib.suppress(StoreConflict):  # marked meanwhile
            self.streams.append([_next(last, kind, self.clock(), **fields)])

    # -- publishing -----------------------------------------------------------------------

    async def send(self) -> None:
        """Publish the outbox, in the order raised; stop at the first failure (NATS away) and
        try again ``RETRY_EVERY`` seconds later, the fault shown until it is published. What
        JetStream acknowledged is marked (a mark the store refused is tried again first,
        without publishing it again)."""
        if self._acked:
            await asyncio.to_thread(self._mark_published)
        if not self._outbox:
            self._published()
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
            now = self.clock()
            self._retry_at = now + dt.timedelta(seconds=RETRY_EVERY)
            self._publish_fault = (
                f"NATS did not acknowledge ({type(failed).__name__}): {len(self._outbox)} pending"
            )
            if self.health.unpublished_since is None:
                self.health.unpublished_since = now.timestamp()
            self._show_fault()
        else:
            self._published()
        if self._acked:
            await asyncio.to_thread(self._mark_published)

    def _published(self) -> None:
        """Nothing left that could not be published."""
        if self._retry_at is not None:
            log.info("notifications published again after a failure")
        self._retry_at = None
        self._publish_fault = None
        self.health.unpublished_since = None
        self._show_fault()

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
