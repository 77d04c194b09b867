"""The Notifier: each notice sent once per cause, to its recipient only, naming the child by the
recipient's own identifiers; never lost when NATS or the store fails between the steps.

On honest fakes: ``MemoryStreams`` (the real table's version key makes a second
``NotificationRaised`` for a cause a conflict), a ``MemoryStore`` holding sealed facts and its
keyring, an in-memory projection reader, and a publisher that can fail before or after it sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

import projections
from contracts import notifications as spec
from contracts.examples import nhs_number
from hub.domain import privacy
from hub.domain.events import FactRecorded
from hub.domain.notifications import (
    ERASED,
    NO_IDENTIFIER,
    WITHDRAWN_FIRST,
    NotificationPublished,
    NotificationRaised,
    NotificationWithheld,
)
from hub.errors import InputError, StoreConflict
from hub.service.notifications import RETRY_EVERY, TICK_EVERY, Notifier
from hub.service.notified import sent_to
from tests.fakes import MemoryStore, MemoryStreams

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
WITHIN = 7 * 86_400
DIGESTS = privacy.Digests(b"k" * 32)
NHS = nhs_number(7)
LA_REF = "LA-CHILD-77"
POLICE_REF = "P-PERSON-77"


def us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


Row = projections.Notice  # the projection's own row: the fake hands out the real type


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class Publisher:
    """Records what reached JetStream. ``down``: refused before sending; ``lose_acks``: sent,
    and then the acknowledgement never came (it raises after sending)."""

    sent: list[tuple[str, bytes, str]] = field(default_factory=list)
    down: bool = False
    lose_acks: int = 0
    attempts: int = 0

    async def __call__(self, subject: str, body: bytes, msg_id: str) -> None:
        self.attempts += 1
        if self.down:
            raise ConnectionRefusedError("nats is down")
        self.sent.append((subject, body, msg_id))
        if self.lose_acks:
            self.lose_acks -= 1
            raise TimeoutError("no PubAck")

    def bodies(self) -> list[dict[str, Any]]:
        return [orjson.loads(body) for _, body, _ in self.sent]


class Projection:
    """The projection's notices, deadlines, components and living facts, in memory.
    ``lagging``: the projection has not applied every fact the store holds yet."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.rows: list[Row] = []
        self.deadlines: list[Row] = []
        self.components: dict[bytes, list[bytes]] = {}
        self.retracted: set[UUID] = set()
        self.lagging = False
        self.reads: list[tuple[int, int] | int] = []  # the ``after`` of each notices read

    def notices(
        self, after: tuple[int, int] | int, limit: int, recorded_since_us: int | None
    ) -> list[Row]:
        # As projections.notices: a (position, seq) reads the rows strictly after it, an int
        # the rows at later positions.
        self.reads.append(after)
        cursor = after if isinstance(after, tuple) else (after, 2**62)
        rows = [
            row
            for row in self.rows
            if (row.position, row.seq) > cursor
            and (recorded_since_us is None or row.recorded_us >= recorded_since_us)
        ]
        return sorted(rows, key=lambda row: (row.position, row.seq))[:limit]

    def notice_head(self) -> tuple[int, int]:
        return max(((row.position, row.seq) for row in self.rows), default=(0, 0))

    def caught_up(self) -> bool:
        return not self.lagging

    def due(self, since_us: int, until_us: int) -> list[Row]:
        return [row for row in self.deadlines if since_us < row.recorded_us <= until_us]

    def children_of(self, root: bytes) -> list[bytes]:
        return self.components.get(root, [root])

    def facts_by(self, members: Sequence[bytes], agency: str) -> list[bytes]:
        children = {str(UUID(bytes=member)) for member in members}
        return [
            fact.originator_id.bytes
            for fact in self.store.facts.all()
            if fact.agency == agency
            and fact.child_id in children
            and fact.originator_id not in self.retracted
        ]


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.store = MemoryStore()
        self.projection = Projection(self.store)
        self.streams: MemoryStreams[Any] = MemoryStreams("notifications")
        self.publisher = Publisher()
        self.child = uuid4()

    def fact(
        self,
        agency: str,
        ids: dict[str, str],
        event_type: str = "care.period_started",
        child: UUID | None = None,
        occurred: dt.datetime | None = None,
    ) -> FactRecorded:
        event_id = str(uuid4())
        body = {
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": (occurred or self.clock.now).isoformat(),
            "source": {"agency": agency},
            "child": {"ids": ids, "given_name": "Ada"},
            "payload": {},
        }
        fact = FactRecorded(
            originator_id=UUID(event_id),
            originator_version=1,
            timestamp=self.clock.now,
            agency=agency,
            event_type=event_type,
            event_id=event_id,
            body=body,
            child_id=str(child or self.child),
            joined_child_ids=[],
            other_child_id=None,
            stream_seq=1,
        )
        sealed = privacy.seal_fact(fact, self.store.keyring, DIGESTS)
        self.store.facts.append([sealed])
        return sealed

    def notice(
        self,
        cause: FactRecorded,
        kind: str,
        recipient: str,
        *,
        action: str = "raise",
        detail: dict[str, Any] | None = None,
        target: FactRecorded | None = None,
        occurred: dt.datetime | None = None,
    ) -> Row:
        row = Row(
            position=len(self.projection.rows) + 1,
            seq=0,
            recorded_us=us(self.clock.now),
            action=action,
            kind=kind,
            recipient=recipient,
            cause_id=cause.originator_id.bytes,
            cause_type=cause.event_type,
            cause_agency=cause.agency,
            cause_us=us(occurred or self.clock.now),
            root=self.child.bytes,
            detail=detail if detail is not None else {"episode_ref": "E1"},
            target_id=target.originator_id.bytes if target else None,
        )
        self.projection.rows.append(row)
        return row

    def notifier(self) -> Notifier:
        return Notifier(
            self.streams,
            self.store,
            self.projection,
            self.publisher,
            within=WITHIN,
            clock=self.clock,
        )


def step(notifier: Notifier) -> None:
    asyncio.run(notifier.step())


def held(world: World, id: UUID) -> list[type]:
    return [type(event) for event in world.streams.stream(id)]


@pytest.fixture
def world() -> World:
    return World()


def reported(world: World) -> FactRecorded:
    """A police report of the child missing; the council holds the child in care."""
    world.fact("local_authority", {"la_child_id": LA_REF, "nhs_number": NHS})
    return world.fact(
        "police", {"police_person_id": POLICE_REF, "nhs_number": NHS}, "missing.reported"
    )


def test_a_cause_is_sent_once_to_its_recipient_across_a_restart(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    step(world.notifier())

    id = spec.notification_id(cause.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    [(subject, _, msg_id)] = world.publisher.sent
    assert subject == "safeguarding.v1.notify.local_authority.missing.looked_after_child_reported"
    assert msg_id == str(id)
    [body] = world.publisher.bodies()
    assert body == {
        "notification_id": str(id),
        "kind": spec.LOOKED_AFTER_CHILD_REPORTED,
        "agency": spec.LA,
        "child": {"ids": {"la_child_id": LA_REF, "nhs_number": NHS}},
        "cause": {
            "event_id": str(cause.originator_id),
            "event_type": "missing.reported",
            "agency": "police",
            "occurred_at": "2026-03-02T09:30:00+00:00",
        },
        "detail": {"episode_ref": "E1"},
        "raised_at": "2026-03-02T09:30:00+00:00",
    }
    assert held(world, id) == [NotificationRaised, NotificationPublished]

    # A restart re-reads the notices of the last week: nothing is sent twice.
    world.clock.advance(60)
    again = world.notifier()
    step(again)
    step(again)
    assert len(world.publisher.sent) == 1
    # And the store itself refuses a second "raised" for the cause.
    with pytest.raises(StoreConflict):
        world.streams.append([world.streams.stream(id)[0]])


def test_a_publish_never_acknowledged_is_sent_again_with_the_same_id_and_body(
    world: World,
) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.publisher.lose_acks = 1  # it reached JetStream, the PubAck did not come back
    first = world.notifier()
    step(first)
    id = spec.notification_id(cause.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    assert held(world, id) == [NotificationRaised]
    assert first.health.pending == 1 and first.health.sent == 0

    world.clock.advance(3600)  # the hub restarted an hour later
    restarted = world.notifier()
    step(restarted)
    [one, two] = world.publisher.sent
    assert one == two  # the same Nats-Msg-Id and the same bytes: JetStream or the agency drops it
    assert held(world, id) == [NotificationRaised, NotificationPublished]
    assert restarted.health.sent == 1 and restarted.health.pending == 0
    step(world.notifier())
    assert len(world.publisher.sent) == 2


def test_a_publish_acknowledged_and_not_marked_is_sent_again(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    notifier = world.notifier()
    asyncio.run(asyncio.to_thread(notifier.start))
    asyncio.run(asyncio.to_thread(notifier.read))
    world.streams._faults.fail_next(on="notifications.append")  # the mark is refused
    with pytest.raises(Exception, match="injected"):
        asyncio.run(notifier.send())
    assert len(world.publisher.sent) == 1

    step(world.notifier())  # after a crash: from the store
    [one, two] = world.publisher.sent
    assert one == two
    step(notifier)  # the first one, had it lived: the mark is taken, nothing sent again
    assert len(world.publisher.sent) == 2


def test_nats_away_keeps_it_in_the_outbox_and_retries(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.publisher.down = True
    notifier = world.notifier()
    step(notifier)
    assert world.publisher.attempts == 1 and notifier.health.pending == 1
    world.clock.advance(RETRY_EVERY / 2)
    step(notifier)
    assert world.publisher.attempts == 1  # not before RETRY_EVERY
    world.publisher.down = False
    world.clock.advance(RETRY_EVERY)
    step(notifier)
    assert len(world.publisher.sent) == 1
    assert notifier.health.pending == 0 and notifier.health.sent == 1
    assert notifier.health.last_published_at == world.clock.now.timestamp()


def test_not_sent_when_the_recipient_holds_no_identifier_for_the_child(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF})
    cause = world.fact("health", {"nhs_number": NHS}, "health.concern_raised")
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.POLICE)  # police never recorded the child
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.LA)
    notifier = world.notifier()
    step(notifier)

    police = spec.notification_id(cause.originator_id, spec.RISK_REVIEW_ADVISED, spec.POLICE)
    assert held(world, police) == [NotificationRaised, NotificationWithheld]
    assert world.streams.stream(police)[1].reason == NO_IDENTIFIER
    assert [subject.split(".")[3] for subject, _, _ in world.publisher.sent] == ["local_authority"]
    assert notifier.health.withheld == 1 and notifier.health.sent == 1
    step(world.notifier())
    assert len(world.publisher.sent) == 1


def test_not_sent_when_the_child_was_erased(world: World) -> None:
    cause = reported(world)
    world.store.keyring.shred([str(world.child)])
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    step(world.notifier())
    id = spec.notification_id(cause.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    assert world.streams.stream(id)[-1].reason == ERASED
    assert world.publisher.sent == []


def test_each_agency_is_told_only_its_own_and_the_national_identifiers(world: World) -> None:
    # Each agency recorded the other's reference too: neither is passed on.
    world.fact(
        "local_authority",
        {"la_child_id": LA_REF, "police_person_id": POLICE_REF, "upn": "A123456789012"},
    )
    other = uuid4()  # the same child, under a second hub identity (linked)
    world.projection.components[world.child.bytes] = [world.child.bytes, other.bytes]
    cause = world.fact(
        "police",
        {"police_person_id": POLICE_REF, "la_child_id": LA_REF, "nhs_number": NHS},
        "missing.reported",
        child=other,
    )
    world.notice(cause, spec.REPEAT_THRESHOLD_REACHED, spec.LA)
    world.notice(cause, spec.REPEAT_THRESHOLD_REACHED, spec.POLICE)
    step(world.notifier())

    bodies = {body["agency"]: body["child"]["ids"] for body in world.publisher.bodies()}
    assert bodies == {
        "local_authority": {"la_child_id": LA_REF, "upn": "A123456789012"},
        "police": {"police_person_id": POLICE_REF, "nhs_number": NHS},
    }


def test_a_retraction_withdraws_what_its_cause_raised(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF})
    cause = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.POLICE)
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.LA)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    notifier = world.notifier()
    step(notifier)
    assert len(world.publisher.sent) == 3

    world.clock.advance(600)
    retraction = world.fact("police", {"police_person_id": POLICE_REF}, "record.retracted")
    world.projection.retracted.add(cause.originator_id)  # police's only record of the child
    world.notice(retraction, "*", "*", action="withdraw", detail={}, target=cause)
    step(notifier)

    withdrawn = world.publisher.bodies()[3:]
    originals = {body["notification_id"]: body for body in world.publisher.bodies()[:3]}
    assert len(withdrawn) == 3
    for body, (subject, _, msg_id) in zip(withdrawn, world.publisher.sent[3:], strict=True):
        original = originals[body["withdraws"]]
        assert body["kind"] == spec.WITHDRAWN
        assert subject == spec.notify_subject(original["agency"], spec.WITHDRAWN)
        assert msg_id == body["notification_id"] == str(spec.withdrawal_id(body["withdraws"]))
        assert body["agency"] == original["agency"]
        assert body["child"] == original["child"]  # the police's too, from the retracted fact
        assert body["detail"] == {}
        assert body["cause"]["event_id"] == str(retraction.originator_id)
        assert body["cause"]["event_type"] == "record.retracted"

    rows = sent_to(world.streams, spec.LA)
    assert [row["kind"] for row in rows].count(spec.WITHDRAWN) == 2
    assert all(row["withdrawn_by"] for row in rows if row["kind"] != spec.WITHDRAWN)

    step(world.notifier())  # a restart: the withdrawals are not sent twice either
    assert len(world.publisher.sent) == 6


def test_a_withdraw_names_its_kind_and_recipient(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.POLICE)
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.LA)
    notifier = world.notifier()
    step(notifier)
    correction = world.fact("police", {"police_person_id": POLICE_REF}, "record.corrected")
    world.notice(correction, spec.RISK_REVIEW_ADVISED, spec.POLICE, action="withdraw", target=cause)
    step(notifier)
    [withdrawal] = world.publisher.bodies()[2:]
    assert withdrawal["agency"] == spec.POLICE


def test_a_withdraw_before_the_notification_was_sent_withholds_it(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.publisher.down = True
    notifier = world.notifier()
    step(notifier)
    retraction = world.fact("police", {"police_person_id": POLICE_REF}, "record.retracted")
    world.notice(retraction, "*", "*", action="withdraw", target=cause)
    world.publisher.down = False
    world.clock.advance(RETRY_EVERY)
    step(notifier)
    step(world.notifier())
    assert world.publisher.sent == []
    id = spec.notification_id(cause.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    assert world.streams.stream(id)[-1].reason == WITHDRAWN_FIRST
    assert notifier.health.pending == 0


def _deadline(world: World, found: FactRecorded, due: dt.datetime) -> None:
    world.projection.deadlines.append(
        Row(0, 0, us(due), "raise", spec.RETURN_INTERVIEW_OVERDUE, spec.LA,
            found.originator_id.bytes, found.event_type, found.agency,
            us(found.timestamp), world.child.bytes,
            {"episode_ref": "E1", "due_by": due.isoformat()}, None)
    )  # fmt: skip


def test_an_overdue_interview_follows_only_a_found_that_was_sent(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF})
    sent = world.fact("police", {"police_person_id": POLICE_REF}, "missing.found")
    never = world.fact("police", {"police_person_id": POLICE_REF}, "missing.found")
    world.notice(sent, spec.LOOKED_AFTER_CHILD_FOUND, spec.LA)
    notifier = world.notifier()
    step(notifier)
    assert len(world.publisher.sent) == 1

    _deadline(world, sent, world.clock.now + dt.timedelta(seconds=5))
    _deadline(world, never, world.clock.now + dt.timedelta(seconds=5))
    step(notifier)
    assert len(world.publisher.sent) == 1  # not due yet, and the clock had not ticked
    world.clock.advance(TICK_EVERY)
    step(notifier)
    [found, overdue] = world.publisher.bodies()
    assert overdue["kind"] == spec.RETURN_INTERVIEW_OVERDUE
    assert overdue["cause"]["event_id"] == found["cause"]["event_id"] == str(sent.originator_id)
    assert overdue["child"] == {"ids": {"la_child_id": LA_REF}}
    never_id = spec.notification_id(never.originator_id, spec.RETURN_INTERVIEW_OVERDUE, spec.LA)
    assert world.streams.stream(never_id) == []

    world.clock.advance(TICK_EVERY)
    step(world.notifier())  # a restart looks back a week: still once
    assert len(world.publisher.sent) == 2


def test_an_overdue_interview_waits_for_its_found_to_be_sent(world: World) -> None:
    """A found recorded days late (its deadline already past), sent only after NATS came
    back: the overdue follows at the next tick."""
    world.fact("local_authority", {"la_child_id": LA_REF})
    found = world.fact(
        "police",
        {"police_person_id": POLICE_REF},
        "missing.found",
        occurred=world.clock.now - dt.timedelta(hours=80),
    )
    world.notice(found, spec.LOOKED_AFTER_CHILD_FOUND, spec.LA, occurred=found.timestamp)
    _deadline(world, found, world.clock.now - dt.timedelta(hours=8))
    world.publisher.down = True
    notifier = world.notifier()
    step(notifier)  # the deadline is read at once: its found is not sent, so no overdue
    world.publisher.down = False
    world.clock.advance(RETRY_EVERY)
    step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_FOUND]
    world.clock.advance(TICK_EVERY)
    step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_FOUND, spec.RETURN_INTERVIEW_OVERDUE]
    world.clock.advance(TICK_EVERY)
    step(notifier)
    assert len(world.publisher.sent) == 2


def _kinds(world: World) -> list[str]:
    return [body["kind"] for body in world.publisher.bodies()]


def test_a_cause_older_than_the_window_when_recorded_is_not_news(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF})
    old = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    recent = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    limit = world.clock.now - dt.timedelta(seconds=WITHIN)
    world.notice(old, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA, occurred=limit - dt.timedelta(1))
    world.notice(recent, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA, occurred=limit)
    notifier = world.notifier()
    step(notifier)
    [body] = world.publisher.bodies()
    assert body["cause"]["event_id"] == str(recent.originator_id)
    assert notifier.health.too_old == 1
    old_id = spec.notification_id(old.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    assert world.streams.stream(old_id) == []


def test_a_restart_reads_the_notices_of_the_last_window_only(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)  # never handled (hub down)
    world.clock.advance(WITHIN + 1)
    step(world.notifier())
    assert world.publisher.sent == []


def test_the_operators_list_names_no_identifier(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF, "nhs_number": NHS})
    cause = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.POLICE)
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.LA)
    notifier = world.notifier()
    step(notifier)
    world.clock.advance(60)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    step(notifier)

    rows = notifier.list(spec.LA)
    assert [row["kind"] for row in rows] == [
        spec.RISK_REVIEW_ADVISED,
        spec.LOOKED_AFTER_CHILD_REPORTED,
    ]
    assert {row["state"] for row in rows} == {"sent"}
    assert rows[0]["child"] == str(world.child)
    shown = orjson.dumps(rows + notifier.list(spec.POLICE)).decode()
    for identifier in (NHS, LA_REF, POLICE_REF, "Ada"):
        assert identifier not in shown
    assert len(notifier.list(spec.LA, since=T0 + dt.timedelta(seconds=30))) == 1
    assert notifier.list("health") == []
    with pytest.raises(InputError, match="not an agency"):
        notifier.list("fire_service")


def test_notifications_are_kept_in_the_store_once_per_id(tmp_path: Path) -> None:
    from hub.adapters.application import HubApplication
    from hub.adapters.store import ReadSideStore
    from hub.config import Settings

    tables = ReadSideStore(HubApplication(env=Settings(data_dir=tmp_path).store_env()))
    id = uuid4()
    raised = NotificationRaised(
        originator_id=id,
        originator_version=1,
        timestamp=T0,
        agency=spec.LA,
        kind=spec.LOOKED_AFTER_CHILD_FOUND,
        cause={"event_id": str(uuid4()), "event_type": "missing.found", "agency": "police",
               "occurred_at": T0.isoformat()},
        detail={"episode_ref": "E1"},
        raised_at=T0.isoformat(),
        root=str(uuid4()),
    )  # fmt: skip
    tables.notifications.append([raised])
    with pytest.raises(StoreConflict):
        tables.notifications.append([raised])
    published = NotificationPublished(
        originator_id=id, originator_version=2, timestamp=T0, published_at=T0.isoformat()
    )
    tables.notifications.append([published])
    again = tables.notifications.stream(id)
    assert again == [raised, published]
    assert again[0].withdraws is None
    tables.close()


def test_every_notice_of_a_run_is_sent_however_many_share_its_position(world: World) -> None:
    """One run of facts (one position) can raise more notices than a page holds."""
    causes = [reported(world) for _ in range(1005)]
    for cause in causes:
        world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.projection.rows = [row._replace(position=1, seq=i) for i, row in
                             enumerate(world.projection.rows)]  # fmt: skip
    notifier = world.notifier()
    step(notifier)
    assert len(world.publisher.sent) == 1005
    assert {body["cause"]["event_id"] for body in world.publisher.bodies()} == {
        str(cause.originator_id) for cause in causes
    }
    step(notifier)
    assert world.projection.reads[-1] == (1, 1004)  # idle: after the last row
    assert len(world.publisher.sent) == 1005


def test_an_idle_read_starts_after_the_notices_left_out_of_the_window(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.clock.advance(WITHIN + 1)  # history by the time the hub starts
    notifier = world.notifier()
    step(notifier)
    step(notifier)
    assert world.projection.reads[-1] == (1, 0)
    assert world.publisher.sent == []


def _linked_to_another(world: World) -> UUID:
    """The child's hub identity linked (later) to a second one, which the council holds
    under another reference, recorded after the first."""
    other = uuid4()
    world.clock.advance(60)
    world.fact("local_authority", {"la_child_id": "LA-OTHER-99"}, child=other)
    world.projection.components[world.child.bytes] = [world.child.bytes, other.bytes]
    return other


def test_a_resend_names_the_child_it_was_raised_about_after_a_link(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF})
    cause = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.publisher.lose_acks = 1
    step(world.notifier())

    _linked_to_another(world)
    step(world.notifier())  # a restart: the notification is sent again
    [one, two] = world.publisher.sent
    assert world.publisher.bodies()[1]["child"] == {"ids": {"la_child_id": LA_REF}}
    assert one == two
    id = spec.notification_id(cause.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    raised = world.streams.stream(id)[0]
    assert raised.members == [str(world.child)]  # the component when raised


def test_a_withdrawal_after_a_link_names_the_child_the_agency_was_told_of(world: World) -> None:
    world.fact("local_authority", {"la_child_id": LA_REF})
    cause = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    notifier = world.notifier()
    step(notifier)

    _linked_to_another(world)
    retraction = world.fact("police", {"police_person_id": POLICE_REF}, "record.retracted")
    world.notice(retraction, "*", "*", action="withdraw", detail={}, target=cause)
    step(notifier)
    original, withdrawal = world.publisher.bodies()
    assert withdrawal["kind"] == spec.WITHDRAWN
    assert withdrawal["child"] == original["child"] == {"ids": {"la_child_id": LA_REF}}
    [stored] = world.streams.stream(UUID(withdrawal["notification_id"]))[:1]
    assert stored.members == [str(world.child)]


class _CountedFacts:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.gets = 0

    def get(self, id: UUID) -> FactRecorded | None:
        self.gets += 1
        return self.store.facts.get(id)


class _Counted:
    """The store as the Notifier reads it, counting the facts it fetches (to unseal)."""

    def __init__(self, store: MemoryStore) -> None:
        self.facts = _CountedFacts(store)
        self.keyring = store.keyring


def test_only_the_recipients_latest_facts_are_opened_once_a_pass(world: World) -> None:
    """A looked-after child with hundreds of council facts (placements, invoices)."""
    for _ in range(300):
        world.fact("local_authority", {"la_child_id": "LA-OLD-1"}, "care.placement_changed")
    world.clock.advance(60)
    world.fact("local_authority", {"la_child_id": LA_REF, "upn": "A123456789012"})
    for _ in range(5):
        world.fact("local_authority", {"la_child_id": LA_REF}, "care.placement_changed")
    cause = world.fact("police", {"police_person_id": POLICE_REF}, "missing.reported")
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.notice(cause, spec.RISK_REVIEW_ADVISED, spec.LA)
    counted = _Counted(world.store)
    notifier = Notifier(world.streams, counted, world.projection, world.publisher,
                        within=WITHIN, clock=world.clock)  # fmt: skip
    step(notifier)

    assert counted.facts.gets <= 20 + 1  # the latest 20, and the cause (police's), once
    assert [body["child"]["ids"] for body in world.publisher.bodies()] == [
        {"la_child_id": LA_REF, "upn": "A123456789012"}
    ] * 2
