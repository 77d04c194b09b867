"""NATS goes away and comes back: the hub's consumer reconnects, says so once, and every event
is stored exactly once. The outage longer than nats-py's own budget (60 attempts, 2 s apart,
which ended ingest for good after about two minutes) is a case of tests/faults, against a
whole ``hub serve``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from contracts.examples import example_event
from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import EmbeddedNats, free_port
from hub.config import Settings
from tests.support import eventually, publish, register_bus, running_hub


async def test_ingest_resumes_after_a_nats_outage(
    sqlite_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outage = 5.0
    caplog.set_level(logging.INFO, logger="hub.nats")
    port, folder = free_port(), tmp_path / "nats"
    identities = Identities(tmp_path / "credentials")
    server = EmbeddedNats(folder, port, identities=identities).__enter__()
    register_bus(server.url, identities)
    before = [example_event("missing.reported") for _ in range(50)]
    after = [example_event("missing.reported") for _ in range(50)]
    try:
        async with running_hub(sqlite_settings, server.url) as store:
            await publish(server.url, *before)
            await eventually(lambda: store.stored() == 50)
            assert server.process is not None
            server.process.kill()  # kill -9: no goodbye to the clients
            server.process.wait()
            await asyncio.sleep(outage)
            # The same port, JetStream files and identities.
            server = EmbeddedNats(folder, port, identities=identities).__enter__()
            await publish(server.url, *after, *before[:10])  # re-sends are stored once
            await eventually(lambda: store.stored() == 100, timeout=60)
            stored = sorted(str(f.originator_id) for f in store.facts())
            assert stored == sorted(e["event_id"] for e in before + after)
            assert store.status()["rejected"] == 0
    finally:
        server.stop()
    lost = [r for r in caplog.records if "lost the NATS connection" in r.getMessage()]
    back = [r for r in caplog.records if "NATS connection back" in r.getMessage()]
    assert (len(lost), len(back)) == (1, 1), [r.getMessage() for r in caplog.records]
