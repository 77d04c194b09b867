"""The Notifier when something fails: a notice it cannot handle, the store or the projection
behind or away, NATS not acknowledging, another writer first. On the fakes of
``test_notifier``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

import projections
from contracts import notifications as spec
from contracts.examples import example_event
from hub.domain.events import FactRecorded
from hub.domain.notifications import NotificationPublished, NotificationRaised
from hub.errors import ConfigurationError, StoreUnavailable
from hub.service.ingest import IngestService
from hub.service.notices import ProjectionNotices
from hub.service.notifications import RETRY_EVERY, TICK_EVERY, Notifier
from projections import ProjectionStore, catch_up
from tests.fakes import MemoryStore, MemoryStreams, inbound
from tests.unit.test_notifier import (
    LA_REF,
    POLICE_REF,
    World,
    _deadline,
    _kinds,
    held,
    reported,
    step,
)


@pytest.fixture
def world() -> World:
    return World()


def _found_sent(world: World) -> FactRecorded:
    """A looked-after child found, the council told; its return interview due an hour ago."""
    world.fact("local_authority", {"la_child_id": LA_REF})
    found = world.fact(
        "police",
        {"police_person_id": POLICE_REF},
        "missing.found",
        occurred=world.clock.now - dt.timedelta(hours=73),
    )
    world.notice(found, spec.LOOKED_AFTER_CHILD_FOUND, spec.LA, occurred=found.timestamp)
    _deadline(world, found, world.clock.now - dt.timedelta(hours=1))
    return found


def test_a_notice_that_fails_every_time_is_passed_over_counted_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    broken = reported(world)
    world.notice(broken, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.projection.rows[0] = world.projection.rows[0]._replace(cause_id=b"not a uuid")
    good = reported(world)
    world.notice(good, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    notifier = world.notifier()
    with caplog.at_level(logging.ERROR, logger="hub.notify"):
        step(notifier)
        step(notifier)
    [body] = world.publisher.bodies()
    assert body["cause"]["event_id"] == str(good.originator_id)
    assert notifier.health.failed == 1  # once: the cursor moved past it
    [record] = caplog.records
    assert "ValueError (text withheld)" in record.getMessage()
    assert "not a uuid" not in record.getMessage()


def test_the_store_away_stops_the_pass_at_the_notice_and_the_deadlines_still_run(
    world: World,
) -> None:
    _found_sent(world)
    notifier = world.notifier()
    step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_FOUND]  # the deadline's found not yet sent

    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.store.fail_next(on="facts.get")  # the notice's lookup: the store away, for now
    world.clock.advance(TICK_EVERY)
    with pytest.raises(StoreUnavailable):
        step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_FOUND, spec.RETURN_INTERVIEW_OVERDUE]
    assert notifier.health.failed == 0
    step(notifier)  # the notice again, from where the pass stopped
    assert _kinds(world)[2:] == [spec.LOOKED_AFTER_CHILD_REPORTED]


def test_deadlines_are_not_read_while_the_projection_is_behind_the_store(world: World) -> None:
    found = _found_sent(world)
    notifier = world.notifier()
    step(notifier)
    # The interview was recorded; the projection has applied the found's run, not its own yet.
    world.projection.lagging = True
    world.clock.advance(TICK_EVERY)
    step(notifier)
    world.clock.advance(TICK_EVERY)
    step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_FOUND]
    # Caught up: the interview ended the deadline.
    world.projection.deadlines.clear()
    world.projection.lagging = False
    world.clock.advance(TICK_EVERY)
    step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_FOUND]
    overdue = spec.notification_id(found.originator_id, spec.RETURN_INTERVIEW_OVERDUE, spec.LA)
    assert world.streams.stream(overdue) == []


def _run_a_while(notifier: Notifier) -> None:
    async def run() -> None:
        task = asyncio.create_task(notifier.run(every=0.001))
        await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())


def test_nats_not_acknowledging_is_the_notifiers_fault_until_it_does(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.publisher.down = True
    notifier = world.notifier()
    _run_a_while(notifier)
    assert notifier.health.fault == "NATS did not acknowledge (ConnectionRefusedError): 1 pending"
    assert notifier.health.unpublished_since == world.clock.now.timestamp()
    assert notifier.health.as_dict()["pending"] == 1

    world.publisher.down = False
    world.clock.advance(RETRY_EVERY)
    _run_a_while(notifier)
    assert len(world.publisher.sent) == 1
    assert notifier.health.fault is None and notifier.health.unpublished_since is None


class _Racing(MemoryStreams[Any]):
    """``hub_notifications`` with another writer storing ``first`` just after the Notifier
    looked for it (and found nothing)."""

    def __init__(self) -> None:
        super().__init__("notifications")
        self.first: NotificationRaised | None = None

    def stream(self, id: UUID) -> list[Any]:
        found = super().stream(id)
        if not found and self.first is not None and self.first.originator_id == id:
            self.append([self.first])
            self.first = None
        return found


def test_a_notification_stored_meanwhile_is_sent_from_what_is_stored(world: World) -> None:
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    id = spec.notification_id(cause.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    racing = _Racing()
    racing.first = NotificationRaised(
        originator_id=id,
        originator_version=1,
        timestamp=world.clock.now - dt.timedelta(seconds=1),
        agency=spec.LA,
        kind=spec.LOOKED_AFTER_CHILD_REPORTED,
        cause={"event_id": str(cause.originator_id), "event_type": "missing.reported",
               "agency": "police", "occurred_at": world.clock.now.isoformat()},
        detail={"episode_ref": "E1"},
        raised_at="2026-03-02T09:29:59+00:00",
        root=str(world.child),
        members=[str(world.child)],
    )  # fmt: skip
    world.streams = racing
    step(world.notifier())
    [body] = world.publisher.bodies()
    assert body["raised_at"] == "2026-03-02T09:29:59+00:00"  # the one stored first
    assert held(world, id) == [NotificationRaised, NotificationPublished]


def test_the_projection_reader_reads_deadlines_only_when_caught_up(tmp_path: Path) -> None:
    """``ProjectionNotices`` on a real projection: behind the store until it has applied every
    fact, and then its notices read after a (position, seq)."""
    store = MemoryStore()
    outcome = IngestService(store, "SAFEGUARDING").record(
        inbound(example_event("missing.reported"), example_event("missing.found"))
    )
    assert outcome.rejections == []
    feed = store.feed()
    projection = ProjectionStore(tmp_path / "projection.sqlite")
    reader = ProjectionNotices(lambda: projection, feed.head)
    assert not reader.caught_up()
    assert reader.due(0, 2**62) == []
    catch_up(feed, projection)
    assert reader.caught_up()
    head = reader.notice_head()
    assert reader.notices(head, 10, None) == []
    assert list(reader.notices((0, 0), 10, None)) == list(projections.notices(projection, 0, 10))


def test_a_key_that_does_not_open_stops_the_pass_and_loses_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data key that cannot be opened now (a master key rotated under the running hub, a
    wrong key file) is for an operator to mend: the notice waits, it is not passed over."""
    cause = reported(world)
    world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    notifier = world.notifier()
    opens = world.store.keyring.unseal

    def shut(*args: Any) -> Any:
        raise ConfigurationError("the data key does not open")

    monkeypatch.setattr(world.store.keyring, "unseal", shut)
    with pytest.raises(ConfigurationError):
        step(notifier)
    assert world.publisher.sent == [] and notifier.health.failed == 0
    monkeypatch.setattr(world.store.keyring, "unseal", opens)
    step(notifier)
    assert _kinds(world) == [spec.LOOKED_AFTER_CHILD_REPORTED]


def test_one_notification_that_fails_at_start_does_not_hold_back_the_others(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = reported(world), reported(world)
    for cause in (first, second):
        world.notice(cause, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)
    world.publisher.down = True
    step(world.notifier())  # both raised and kept in the outbox; then the hub stops
    world.publisher.down = False
    restarted = world.notifier()
    named = restarted._identifiers
    broken = spec.notification_id(first.originator_id, spec.LOOKED_AFTER_CHILD_REPORTED, spec.LA)

    def naming(raised: NotificationRaised) -> Any:
        if raised.originator_id == broken:
            raise ValueError("a bug in naming this one")
        return named(raised)

    monkeypatch.setattr(restarted, "_identifiers", naming)
    step(restarted)
    [body] = world.publisher.bodies()
    assert body["cause"]["event_id"] == str(second.originator_id)
    assert restarted.health.failed == 2  # at start, and when its notice was read again


def test_the_reader_waits_for_the_store_head_it_first_saw_not_a_moving_one(
    tmp_path: Path,
) -> None:
    """Under steady intake the projection is always a poll behind the latest fact: the tick
    waits for the facts stored when it fell due, not for every fact stored since."""
    store = MemoryStore()
    IngestService(store, "SAFEGUARDING").record(inbound(example_event("missing.reported")))
    feed = store.feed()
    projection = ProjectionStore(tmp_path / "projection.sqlite")
    catch_up(feed, projection)
    applied = feed.head()
    heads = iter([applied, applied + 3, applied + 6, applied + 9])
    reader = ProjectionNotices(lambda: projection, lambda: next(heads))
    assert reader.caught_up()  # the store held `applied` when the tick fell due
    assert reader.caught_up()  # ... and the store's new facts do not move the target
    reader.due(0, 2**62)  # the tick done: the next one takes the store's head again
    assert not reader.caught_up()  # applied + 3, not yet applied
    assert not reader.caught_up()  # still applied + 3: not applied + 9
    assert next(heads) == applied + 6  # the store head was read once for that tick
