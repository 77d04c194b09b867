"""Agencies as authenticated parties on the bus, tried as an agency's system (or an intruder on
the host) would, against a real nats-server running the hub's configuration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
import nats.errors
import orjson
import pytest

from agencies import Bus, PublishFailed, publish_lines
from contracts.examples import example_event
from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import EmbeddedNats
from hub.config import Settings
from tests.support import bus, connect, eventually, login, notices, publish, running_hub


class Refusals:
    """The server's asynchronous refusals on one connection."""

    def __init__(self) -> None:
        self.said: list[str] = []

    async def error(self, error: Exception) -> None:
        self.said.append(str(error).lower())

    async def wait_for(self, text: str, timeout: float = 5.0) -> str:
        for _ in range(int(timeout / 0.05)):
            if found := [said for said in self.said if text in said]:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no refusal containing {text!r}: {self.said}")


@asynccontextmanager
async def as_agency(url: str, agency: str) -> AsyncIterator[tuple[Any, Refusals]]:
    refusals = Refusals()
    client = await nats.connect(url, error_cb=refusals.error, **login(url, agency))
    try:
        yield client, refusals
    finally:
        await client.close()


def _lines(*events: dict[str, Any]) -> list[bytes]:
    return [orjson.dumps(event) for event in events]


async def test_a_connection_without_credentials_is_refused(nats_server: EmbeddedNats) -> None:
    refusals = Refusals()
    with pytest.raises(nats.errors.Error):
        await nats.connect(nats_server.url, allow_reconnect=False, error_cb=refusals.error)
    await refusals.wait_for("authorization violation")
    with pytest.raises(PublishFailed, match="refused police's credentials"):
        await publish_lines(nats_server.url, "police", _lines(example_event("missing.reported")))


async def test_an_agency_publishes_its_own_events_and_they_are_stored_once(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    event = example_event("missing.reported")
    async with running_hub(sqlite_settings, nats_server.url) as store:
        police = bus(nats_server.url, "police")
        first = await publish_lines(police, "police", _lines(event))
        again = await publish_lines(police, "police", _lines(event))
        await eventually(lambda: store.stored() == 1)
    assert (first.published, again.duplicates) == (1, 1)
    assert [str(fact.originator_id) for fact in store.facts()] == [event["event_id"]]


async def test_police_credentials_cannot_publish_as_health_and_nothing_is_stored(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    health_event = example_event("health.concern_raised")
    police_keys = bus(nats_server.url, "police").seed_file
    async with running_hub(sqlite_settings, nats_server.url) as store:
        # Through the adapters: police's key, health's subjects.
        with pytest.raises(PublishFailed, match="not health's"):
            await publish_lines(Bus(nats_server.url, police_keys), "health", _lines(health_event))
        # Raw, on police's own inbox so only the publish itself is refused.
        async with as_agency(nats_server.url, "police") as (client, refusals):
            subject = "safeguarding.v1.health.health.concern_raised"
            await client.publish(subject, orjson.dumps(health_event))
            said = await refusals.wait_for("permissions violation for publish")
            assert subject in said
        await publish(nats_server.url, example_event("missing.reported"))  # the hub goes on
        await eventually(lambda: store.stored() == 1)
        await asyncio.sleep(0.5)
    assert store.stored() == 1 and store.status()["rejected"] == 0


@pytest.mark.parametrize(
    "subject",
    ["safeguarding.v1.>", "safeguarding.v1.health.>", "safeguarding.v1.rejected.health", ">"],
)
async def test_police_cannot_read_the_agencies_events_or_another_agencys_notices(
    nats_server: EmbeddedNats, subject: str
) -> None:
    async with as_agency(nats_server.url, "police") as (client, refusals):
        await client.subscribe(subject)
        await client.flush()
        said = await refusals.wait_for("permissions violation for subscription")
        assert subject in said


async def test_police_cannot_touch_the_streams_or_the_hubs_consumer(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await publish(nats_server.url, example_event("missing.reported"))
        # Something for health to read, which police must not.
        await publish(nats_server.url, ("safeguarding.v1.health.health.concern_raised", b"x"))
        await eventually(lambda: store.stored() == 1 and store.status()["rejected"] == 1)
        async with as_agency(nats_server.url, "police") as (client, refusals):
            js = client.jetstream(timeout=1)
            attempts = [
                js.delete_stream("SAFEGUARDING"),
                js.purge_stream("SAFEGUARDING"),
                js.delete_consumer("SAFEGUARDING", "hub"),
                js.consumer_info("SAFEGUARDING", "hub"),
                js.add_consumer("SAFEGUARDING", durable_name="rogue"),
                js.delete_consumer("SAFEGUARDING_NOTICES", "notices_health"),
            ]
            for attempt in attempts:
                with pytest.raises((nats.errors.Error, TimeoutError)):
                    await attempt
            assert len([s for s in refusals.said if "permissions violation" in s]) >= len(attempts)
            # Nor can it take another agency's notices.
            pull = await js.pull_subscribe_bind("notices_health", stream="SAFEGUARDING_NOTICES")
            with pytest.raises((nats.errors.Error, TimeoutError)):
                await pull.fetch(1, timeout=1)
            await refusals.wait_for("consumer.msg.next.safeguarding_notices.notices_health")
        [health_notice] = await notices(nats_server.url, "health", 1, timeout=3)  # still there
        assert health_notice["subject"].startswith("safeguarding.v1.health.")
        hub = await connect(nats_server.url)
        try:
            info = await hub.jetstream().consumer_info("SAFEGUARDING", "hub")
            streams = [s.config.name async for s in _streams(hub)]
        finally:
            await hub.close()
    assert info.delivered.stream_seq == 2 and "rogue" not in str(info)
    assert sorted(streams) == ["SAFEGUARDING", "SAFEGUARDING_NOTICES"]


async def _streams(client: Any) -> AsyncIterator[Any]:
    for info in await client.jetstream().streams_info():
        yield info


async def test_an_agency_reads_its_own_rejects_and_no_one_elses(
    sqlite_settings: Settings, nats_server: EmbeddedNats
) -> None:
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await publish(
            nats_server.url,
            ("safeguarding.v1.police.missing.reported", b"not json"),
            ("safeguarding.v1.health.health.concern_raised", b"not json either"),
        )
        await eventually(lambda: store.status()["rejected"] == 2)
        [police] = await notices(nats_server.url, "police", 2, timeout=3)
        [health] = await notices(nats_server.url, "health", 2, timeout=3)
    assert police["subject"].startswith("safeguarding.v1.police.")
    assert health["subject"].startswith("safeguarding.v1.health.")


async def test_a_revoked_agency_is_disconnected_and_refused(
    tmp_path: Path, nats_server: EmbeddedNats, sqlite_settings: Settings
) -> None:
    identities = Identities(tmp_path / "credentials")  # the fixture's
    old_keys = bus(nats_server.url, "police").seed_file
    assert old_keys is not None
    kept = tmp_path / "police-old.nk"
    kept.write_bytes(old_keys.read_bytes())
    async with running_hub(sqlite_settings, nats_server.url):  # its streams, its consumers
        await _revoke_and_reissue(nats_server, identities, kept)


async def _revoke_and_reissue(
    nats_server: EmbeddedNats, identities: Identities, kept: Path
) -> None:
    lost = asyncio.Event()

    async def disconnected() -> None:
        lost.set()

    client = await nats.connect(
        nats_server.url,
        nkeys_seed=str(kept),
        inbox_prefix="_INBOX.police",
        disconnected_cb=disconnected,
        allow_reconnect=False,
        error_cb=Refusals().error,
    )
    identities.revoke("police")
    nats_server.reload()
    await asyncio.wait_for(lost.wait(), 5)  # the live connection is closed at once
    await client.close()
    with pytest.raises(PublishFailed, match="refused police's credentials"):
        await publish_lines(
            Bus(nats_server.url, kept), "police", _lines(example_event("missing.reported"))
        )
    # Re-issued: the new key works, the old one stays refused.
    identities.issue("police")
    nats_server.reload()
    await asyncio.sleep(0.2)
    report = await publish_lines(
        bus(nats_server.url, "police"), "police", _lines(example_event("missing.reported"))
    )
    assert report.published == 1
    with pytest.raises(PublishFailed, match="refused police's credentials"):
        await publish_lines(
            Bus(nats_server.url, kept), "police", _lines(example_event("missing.reported"))
        )
