"""The one definition of "ingest is flowing" (``hub status --check``), on hand-built reports."""

from __future__ import annotations

import dataclasses

from hub.service.health import (
    FAILING_AFTER,
    STALE_AFTER,
    STALLED_AFTER,
    UNPUBLISHED_AFTER,
    IngestHealth,
    Report,
    problems,
)

NOW = 1_800_000_000.0


def _report(**changes: object) -> Report:
    healthy = Report(
        pid=1,
        started_at=NOW - 3600,
        updated_at=NOW - 1,
        nats_connected=True,
        nats_lost_since=None,
        nats_outages=0,
        consumer_pending=0,
        consumer_ack_pending=0,
        streams_recreated=0,
        ingest=IngestHealth(batches=10, last_stored_at=NOW - 600),
    )
    return dataclasses.replace(healthy, **changes)  # type: ignore[arg-type]


def test_a_hub_idle_for_an_hour_with_nothing_waiting_is_healthy() -> None:
    assert problems(_report(), running=True, now=NOW) == []


def test_no_report_or_a_dead_process_means_not_running() -> None:
    assert problems(None, running=False, now=NOW) == [
        "hub serve is not running (no report from it)"
    ]
    assert problems(_report(), running=False, now=NOW) == [
        "hub serve is not running (pid 1 is gone)"
    ]


def test_a_report_older_than_the_limit_means_stuck() -> None:
    assert problems(_report(updated_at=NOW - STALE_AFTER + 1), running=True, now=NOW) == []
    [stuck] = problems(_report(updated_at=NOW - STALE_AFTER - 1), running=True, now=NOW)
    assert "has not reported for 31s" in stuck


def test_a_lost_connection_is_a_problem_from_the_first_moment() -> None:
    report = _report(nats_connected=False, nats_lost_since=NOW - 200, consumer_pending=None)
    assert problems(report, running=True, now=NOW) == [
        "the NATS connection is lost (200s); reconnecting"
    ]


def test_a_consumer_that_could_not_be_checked_is_a_problem_one_not_checked_yet_is_not() -> None:
    [found] = problems(
        _report(consumer_pending=None, keeper_fault="TimeoutError"), running=True, now=NOW
    )
    assert "could not be checked (TimeoutError)" in found
    assert problems(_report(consumer_pending=None), running=True, now=NOW) == []


def test_a_batch_held_by_the_store_past_the_limit_is_a_problem_whether_refused_or_stuck() -> None:
    within = IngestHealth(waiting_since=NOW - FAILING_AFTER + 1, fault="event store unavailable")
    assert problems(_report(ingest=within), running=True, now=NOW) == []
    stuck = IngestHealth(waiting_since=NOW - 25)
    assert problems(_report(ingest=stuck), running=True, now=NOW) == [
        "the store has not finished the batch in hand for 25s (locked?)"
    ]
    refused = IngestHealth(waiting_since=NOW - 25, fault="event store unavailable: X")
    [found] = problems(_report(ingest=refused), running=True, now=NOW)
    assert found.startswith("the store has refused the batch in hand for 25s (event store")


def test_events_waiting_with_nothing_stored_for_a_minute_is_a_stall() -> None:
    # Since the last batch, or since the start for a hub that has stored nothing yet.
    assert (
        problems(
            _report(consumer_pending=5, ingest=IngestHealth(last_stored_at=NOW - 30)),
            running=True,
            now=NOW,
        )
        == []
    )
    [stalled] = problems(
        _report(consumer_pending=5, ingest=IngestHealth(last_stored_at=NOW - STALLED_AFTER - 5)),
        running=True,
        now=NOW,
    )
    assert stalled == "5 events are waiting in the stream and none was stored for 65s"
    fresh = _report(started_at=NOW - 20, consumer_pending=5, ingest=IngestHealth())
    assert problems(fresh, running=True, now=NOW) == []


def test_a_dead_projector_is_a_problem() -> None:
    [found] = problems(_report(projector_alive=False, projector_restarts=3), running=True, now=NOW)
    assert "projector is not running (restarted 3 times)" in found


def test_a_report_survives_its_json_form() -> None:
    report = _report(ingest=IngestHealth(batches=3, waiting_since=NOW, fault="x"))
    assert Report.from_json(report.to_json()) == report


def test_notifications_unpublished_for_a_minute_are_a_problem() -> None:
    def notified(since: float | None) -> Report:
        return _report(notifications={"sent": 4, "pending": 3, "unpublished_since": since})

    assert problems(notified(None), running=True, now=NOW) == []
    assert problems(notified(NOW - UNPUBLISHED_AFTER + 1), running=True, now=NOW) == []
    assert problems(notified(NOW - 90), running=True, now=NOW) == [
        "notifications could not be published for 90s (3 waiting); they are kept and retried"
    ]
    assert problems(_report(notifications=None), running=True, now=NOW) == []
