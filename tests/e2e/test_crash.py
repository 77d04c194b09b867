"""The hub killed with SIGKILL mid-ingest and restarted stores every event exactly once."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import orjson

from agencies import publish_lines
from contracts.examples import example_event, nhs_number
from hub.adapters.embedded_nats import EmbeddedNats
from hub.config import Settings
from tests.e2e.conftest import HubCommand
from tests.support import Store, bus, consumer_ready, eventually, hub_env

N = 20_000


async def test_sigkill_mid_ingest_then_restart_stores_each_event_once(
    tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    data_dir = tmp_path / "hub"
    command = HubCommand(
        data_dir, **hub_env(nats_server.url), HUB_ACK_WAIT="2", HUB_WRITER="process"
    )
    events = [
        example_event(
            "missing.reported",
            event_id=uuid.uuid4(),
            child={"ids": {"nhs_number": nhs_number(i % 3000)}},
        )
        for i in range(N)
    ]
    store = Store(Settings(data_dir=data_dir))
    try:
        first = command.serve(tmp_path / "serve.log")
        assert await consumer_ready(nats_server.url)
        publishing = asyncio.create_task(
            publish_lines(
                bus(nats_server.url, "police"), "police", [orjson.dumps(e) for e in events]
            )
        )
        await eventually(lambda: store.stored() >= 2000, timeout=60, every=0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = store.stored()
        print(f"stored at SIGKILL: {at_kill} of {N}")
        report = await publishing
        assert report.published == N
        assert at_kill < N, "the hub must be killed mid-ingest for this test to mean anything"

        command.serve(tmp_path / "serve.log")
        await eventually(lambda: store.stored() >= N, timeout=120)
        await asyncio.sleep(3)  # past ack_wait: any redelivery would have arrived by now
        facts = store.facts()
    finally:
        command.stop()
    assert len(facts) == N
    assert sorted(str(f.originator_id) for f in facts) == sorted(e["event_id"] for e in events)
    assert store.status()["rejected"] == 0
