"""The hub consuming a real nats-server's JetStream into a real store."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
import pytest

from agencies import publish_lines
from contracts.examples import example_event
from hub.adapters.embedded_nats import EmbeddedNats
from hub.bootstrap import build_ingest
from hub.config import Settings
from hub.domain.intake import shown_subject
from hub.entrypoints.writer import WriterThread
from tests.support import bus, connect, eventually, notices, publish, running_hub


async def _declare(settings: Settings, url: str) -> None:
    async with running_hub(settings, url):
        pass


async def test_published_events_are_stored(settings: Settings, nats_server: EmbeddedNats) -> None:
    events = [example_event("missing.reported") for _ in range(25)]
    async with running_hub(settings, nats_server.url) as store:
        await publish(nats_server.url, *events)
        await eventually(lambda: store.stored() == 25)
        stored = [str(f.originator_id) for f in store.facts()]
    assert sorted(stored) == sorted(e["event_id"] for e in events)


async def test_the_same_event_twice_is_stored_once(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    event = example_event("missing.reported")
    async with running_hub(sqlite_settings, nats_server.url) as store:
        first, inside_window = await publish(nats_server.url, event, event)
        # A re-send the server cannot recognise (another message id, as after its window).
        [outside_window] = await publish(nats_server.url, event, msg_id=str(uuid.uuid4()))
        await eventually(lambda: store.status()["position"] >= 1)
        await asyncio.sleep(0.5)
        status = store.status()
    assert (first.duplicate, inside_window.duplicate, outside_window.duplicate) == (
        None,
        True,
        None,
    )
    assert (status["stored"], status["rejected"]) == (1, 0)


async def test_events_published_before_the_hub_starts_are_stored(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    await _declare(sqlite_settings, nats_server.url)
    await publish(nats_server.url, *[example_event("missing.found") for _ in range(10)])
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await eventually(lambda: store.stored() == 10)


async def test_a_correction_that_overtakes_its_target_is_stored_after_it(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    original = example_event("missing.reported")
    retraction = example_event("record.retracted", target_event_id=original["event_id"])
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await publish(nats_server.url, retraction)
        await asyncio.sleep(0.5)  # deferred, to come again ack_wait (2 s) later
        assert store.status()["stored"] == 0
        await publish(nats_server.url, original)
        await eventually(lambda: store.stored() == 2)
        status = store.status()
    assert status["rejected"] == 0
    assert [f.event_type for f in store.facts()] == ["missing.reported", "record.retracted"]


BAD_INPUT = [
    ("safeguarding.v1.police.missing.reported", b"not json", "body is not valid JSON"),
    ("safeguarding.v1.police.missing.reported", b'["a list"]', "body must be one JSON object"),
    (
        "safeguarding.v1.police.missing.teleported",
        orjson.dumps(example_event("missing.reported") | {"event_type": "missing.teleported"}),
        "not a v1 event type",
    ),
    (
        "safeguarding.v1.police.missing.reported",
        orjson.dumps(example_event("missing.reported", payload={"episode_ref": "E"})),
        "payload.last_seen_at: Field required",
    ),
    (
        "safeguarding.v1.police.missing.reported",
        orjson.dumps(example_event("missing.reported", risk=3)),
        "payload.risk",
    ),
    (
        "safeguarding.v1.police.missing.reported",
        orjson.dumps(
            example_event("missing.reported", child={"ids": {"nhs_number": "9434765918"}})
        ),
        "Modulus 11",
    ),
    (
        "safeguarding.v1.education.education.concern_raised",
        orjson.dumps(
            example_event("education.concern_raised", child={"ids": {"upn": "A999000000005"}})
        ),
        "check letter",
    ),
    (
        "safeguarding.v1.police.missing.reported",
        orjson.dumps(example_event("missing.reported", occurred_at="2018-03-10T14:00:00")),
        "timezone",
    ),
    (
        "safeguarding.v1.health.missing.reported",
        orjson.dumps(example_event("missing.reported")),
        "does not match the subject's agency",
    ),
    (
        "safeguarding.v1.police.record.retracted",
        orjson.dumps(example_event("record.retracted", target_event_id=str(uuid.uuid4()))),
        "not a record the hub holds",
    ),
]


async def test_every_kind_of_bad_input_is_rejected_with_its_reason(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    client = await connect(nats_server.url)
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await publish(nats_server.url, *[(subject, data) for subject, data, _ in BAD_INPUT])
        good = example_event("missing.reported")
        await publish(nats_server.url, good)
        await eventually(
            lambda: store.status()["rejected"] == len(BAD_INPUT) and store.stored() == 1
        )
        rejects = store.rejects()
        # Each agency reads its own rejects, and only its own.
        agencies = Counter(subject.split(".")[2] for subject, _, _ in BAD_INPUT)
        received = []
        for agency, count in sorted(agencies.items()):
            mine = await notices(nats_server.url, agency, count + 1, timeout=3)
            assert len(mine) == count and all(agency in n["subject"] for n in mine), mine
            received += mine
        js = client.jetstream()
        info = None
        # The notices are on their own stream: the hub's consumer settles all it was sent.
        for _ in range(100):
            info = await js.consumer_info(sqlite_settings.stream, sqlite_settings.durable)
            if info.num_ack_pending == 0 and info.num_pending == 0:
                break
            await asyncio.sleep(0.05)
    await client.close()
    for row, (subject, _, expected) in zip(rejects, BAD_INPUT, strict=True):
        assert row["subject"] == shown_subject(subject) and expected in row["reason"], row
    assert sorted(n["reason"] for n in received) == sorted(r["reason"] for r in rejects)
    assert all("9434765918" not in n["reason"] for n in received)
    assert info is not None
    assert (info.num_ack_pending, info.num_pending, info.num_redelivered) == (0, 0, 0)


async def test_a_locked_store_is_retried_not_rejected(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    settings = sqlite_settings.model_copy(update={"lock_timeout": 1})
    async with running_hub(settings, nats_server.url) as store:
        blocker = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        await publish(nats_server.url, *[example_event("missing.reported") for _ in range(5)])
        await asyncio.sleep(2.5)  # long enough for at least one failed attempt
        blocker.execute("ROLLBACK")
        blocker.close()
        await eventually(lambda: store.stored() == 5)
        assert store.status()["rejected"] == 0


@pytest.mark.parametrize("writer", ["process"])
async def test_the_writer_process_stores_what_is_published(
    sqlite_settings: Settings, nats_server: EmbeddedNats, writer: str
) -> None:
    settings = sqlite_settings.model_copy(update={"writer": writer})
    events = [example_event("missing.reported") for _ in range(2500)]
    async with running_hub(settings, nats_server.url) as store:
        await publish_lines(
            bus(nats_server.url, "police"), "police", [orjson.dumps(e) for e in events[:5]]
        )
        report = await publish_lines(
            bus(nats_server.url, "police"), "police", [orjson.dumps(e) for e in events]
        )
        await eventually(lambda: store.stored() == 2500)
    assert (report.published, report.duplicates) == (2495, 5)


async def test_a_fault_after_parsing_rejects_that_message_and_the_stream_flows_on(
    sqlite_settings: Settings, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the hub's own code (here in identity resolution, for one child) used to make
    the whole batch retry for ever, holding up every later message."""
    ingest = build_ingest(sqlite_settings)
    resolve = ingest.registry.resolve

    def faulty(keys: Iterable[str]) -> Any:
        keys = tuple(keys)
        if "la_child_id:LA-BUG" in keys:
            raise RuntimeError("a fault in the hub's own code")
        return resolve(keys)

    monkeypatch.setattr(ingest.registry, "resolve", faulty)
    bug = example_event("care.period_started", child={"ids": {"la_child_id": "LA-BUG"}})
    good = [example_event("missing.reported") for _ in range(3)]
    async with running_hub(sqlite_settings, nats_server.url, WriterThread(lambda: ingest)) as store:
        client = await connect(nats_server.url)
        await publish(nats_server.url, good[0], bug, good[1])
        await eventually(lambda: store.stored() == 2 and store.status()["rejected"] == 1)
        await publish(nats_server.url, good[2])  # later messages are not held up
        await eventually(lambda: store.stored() == 3)
        [reject] = store.rejects()
        assert reject["event_id"] == bug["event_id"] and "internal error" in reject["reason"]
        [notice] = await notices(nats_server.url, "local_authority", 2, timeout=3)
        assert notice["event_id"] == bug["event_id"]
        # The notice is on the notices stream, not in the stream the hub consumes.
        js = client.jetstream()
        assert (
            await js.find_stream_name_by_subject("safeguarding.v1.rejected.local_authority")
        ) == ("SAFEGUARDING_NOTICES")
        consumer = await js.consumer_info("SAFEGUARDING", "hub")
        assert (consumer.num_pending, consumer.num_ack_pending) == (0, 0)
        events = await js.stream_info("SAFEGUARDING")
        assert events.state.messages == 4
        await client.close()


async def test_a_stream_from_an_older_hub_is_narrowed_and_its_old_notices_passed_over(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    client = await connect(nats_server.url)
    js = client.jetstream()
    await js.add_stream(name="SAFEGUARDING", subjects=["safeguarding.v1.>"])
    await js.publish("safeguarding.v1.rejected.police", b'{"reason": "old notice"}')
    event = example_event("missing.reported")
    await publish(nats_server.url, event)
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await eventually(lambda: store.stored() == 1)
        assert store.status()["rejected"] == 0
        info = await js.stream_info("SAFEGUARDING")
        assert "safeguarding.v1.>" not in (info.config.subjects or [])
        assert info.state.messages == 2  # nothing the old stream held is lost
    await client.close()


async def test_narrowing_an_old_stream_keeps_the_limits_an_operator_set(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    client = await connect(nats_server.url)
    js = client.jetstream()
    await js.add_stream(
        name="SAFEGUARDING",
        subjects=["safeguarding.v1.>"],
        max_bytes=2**30,
        max_age=86_400 * 30,
    )
    async with running_hub(sqlite_settings, nats_server.url):
        info = await js.stream_info("SAFEGUARDING")
        assert info.config.max_bytes == 2**30
        assert "safeguarding.v1.police.>" in (info.config.subjects or [])
        # How long messages are kept is the hub's (HUB_STREAM_MAX_AGE), not the operator's.
        assert info.config.max_age == sqlite_settings.stream_max_age
    await client.close()


async def test_a_changed_resend_inside_the_duplicate_window_is_refused_not_swallowed(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    event = example_event("missing.reported", classification="missing")
    changed = {**event, "payload": {**event["payload"], "classification": "absent"}}
    async with running_hub(sqlite_settings, nats_server.url) as store:
        first = await publish_lines(bus(nats_server.url, "police"), "police", [orjson.dumps(event)])
        again = await publish_lines(bus(nats_server.url, "police"), "police", [orjson.dumps(event)])
        resent = await publish_lines(
            bus(nats_server.url, "police"), "police", [orjson.dumps(changed)]
        )
        assert (first.published, again.duplicates, resent.published) == (1, 1, 1)
        await eventually(lambda: store.status()["rejected"] == 1)
        [reject] = store.rejects()
        assert "send record.corrected" in reject["reason"]
        assert reject["event_id"] == event["event_id"] and store.stored() == 1


async def test_hub_publish_sends_no_subject_token_that_is_not_the_contracts(
    sqlite_settings: Settings, nats_server: EmbeddedNats, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "9990000018"
    good = example_event("missing.reported")
    bad_type = {**example_event("missing.reported"), "event_type": secret}
    huge = orjson.dumps({**example_event("missing.reported"), "notes": "x" * 1_100_000})
    lines = [orjson.dumps(good), orjson.dumps(bad_type), huge]
    async with running_hub(sqlite_settings, nats_server.url) as store:
        report = await publish_lines(bus(nats_server.url, "police"), "police", lines)
        assert report.published == 1
        assert [r.split(":")[0] for r in report.refused] == ["line 2", "line 3"]
        assert secret not in " ".join(report.refused)
        # A sender that puts it in the subject anyway: the hub records and says "unknown".
        await publish(nats_server.url, (f"safeguarding.v1.police.{secret}", orjson.dumps(good)))
        await eventually(lambda: store.stored() == 1 and store.status()["rejected"] == 1)
        [reject] = store.rejects()
        assert reject["subject"] == "safeguarding.v1.police.unknown"
    assert secret not in caplog.text
