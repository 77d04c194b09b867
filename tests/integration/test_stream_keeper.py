"""The stream or the hub's consumer deleted under a running hub: the keeper re-creates them
with the hub's configuration and consuming resumes, without a restart."""

from __future__ import annotations

import asyncio
import logging

import pytest
from nats.js.errors import NoStreamResponseError

from contracts.examples import example_event
from hub.adapters.embedded_nats import EmbeddedNats
from hub.adapters.keeper import StreamKeeper
from hub.config import Settings
from tests.support import connect, eventually, hub_login, publish, running_hub


async def _delete(url: str, settings: Settings, what: str) -> None:
    client = await connect(url)
    try:
        js = client.jetstream()
        if what == "stream":
            await js.delete_stream(settings.stream)
        else:
            await js.delete_consumer(settings.stream, settings.durable)
    finally:
        await client.close()


@pytest.mark.parametrize("what", ["stream", "consumer"])
async def test_a_deleted_stream_or_consumer_is_recreated_and_consuming_resumes(
    sqlite_settings: Settings,
    nats_server: EmbeddedNats,
    caplog: pytest.LogCaptureFixture,
    what: str,
) -> None:
    caplog.set_level(logging.ERROR, logger="hub.nats")
    url = nats_server.url
    keeper = StreamKeeper(url, sqlite_settings, hub_login(url))
    try:
        async with running_hub(sqlite_settings, url) as store:
            await publish(url, *[example_event("missing.reported") for _ in range(20)])
            await eventually(lambda: store.stored() == 20)
            assert (await keeper.check()).pending == 0
            assert keeper.recreated == 0

            await _delete(url, sqlite_settings, what)
            if what == "stream":
                with pytest.raises(NoStreamResponseError):  # what publishers meet meanwhile
                    await publish(url, example_event("missing.reported"))
            await keeper.check()
            # A deleted stream takes its consumer with it.
            assert keeper.recreated == (2 if what == "stream" else 1)

            later = [example_event("missing.reported") for _ in range(20)]
            await publish(url, *later)
            await eventually(lambda: store.stored() == 40, timeout=30)
            # A new consumer starts at the stream's beginning: what it redelivers is stored once.
            for _ in range(100):
                if (backlog := await keeper.check()).pending + backlog.ack_pending == 0:
                    break
                await asyncio.sleep(0.1)
            stored = [str(fact.originator_id) for fact in store.facts()]
            assert len(stored) == 40 and {event["event_id"] for event in later} <= set(stored)
            assert keeper.recreated == (2 if what == "stream" else 1)
    finally:
        await keeper.close()
    said = [record.getMessage() for record in caplog.records]
    assert any("re-created" in line for line in said), said
