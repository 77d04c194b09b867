"""``hub serve`` as an operator runs it, under the faults a tangle of dependencies hid: a
second serve on the same store, a stop while the store is down, and long idle stretches."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.examples import example_event
from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import EmbeddedNats
from hub.config import Settings
from tests.e2e.conftest import HubCommand, serving_url
from tests.support import (
    Store,
    consumer_ready,
    eventually,
    hub_env,
    postgres_schema,
    publish,
    register_bus,
)

IDLE_SECONDS = float(os.environ.get("HUB_TEST_IDLE_SECONDS", "300"))


def _settings(command: HubCommand) -> Settings:
    return Settings(
        data_dir=Path(command.env["HUB_DATA_DIR"]),
        database_url=command.env.get("HUB_DATABASE_URL"),
    )


async def _publish_and_wait(url: str, store: Store, stored: int) -> None:
    await publish(url, example_event("missing.reported"))
    await eventually(lambda: store.stored() == stored, timeout=30)


async def test_a_second_hub_serve_on_the_same_folder_is_refused(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    first = hub_command.serve(tmp_path / "first.log")
    url = serving_url(hub_command, first)
    store = Store(_settings(hub_command))
    await _publish_and_wait(url, store, 1)

    second = hub_command.serve(tmp_path / "second.log")
    assert second.wait(timeout=60) == 4
    said = (tmp_path / "second.log").read_text()
    assert "another hub serve" in said and f"pid {first.pid}" in said, said
    assert "Traceback" not in said
    # The first is untouched: its nats.url is still there, and it goes on ingesting.
    assert serving_url(hub_command, first) == url
    await _publish_and_wait(url, store, 2)


@pytest.mark.postgres
async def test_a_second_hub_serve_on_the_same_database_is_refused(tmp_path: Path) -> None:
    for database_url in postgres_schema():
        one = HubCommand(tmp_path / "one", HUB_DATABASE_URL=database_url)
        two = HubCommand(tmp_path / "two", HUB_DATABASE_URL=database_url)
        try:
            first = one.serve(tmp_path / "one.log")
            url = serving_url(one, first)
            second = two.serve(tmp_path / "two.log")
            assert second.wait(timeout=60) == 4
            said = (tmp_path / "two.log").read_text()
            assert "another hub serve writes to this PostgreSQL store" in said, said
            await _publish_and_wait(url, Store(_settings(one)), 1)
        finally:
            one.stop()
            two.stop()


@pytest.fixture
def locked_store() -> Iterator[list[sqlite3.Connection]]:
    held: list[sqlite3.Connection] = []
    yield held
    for connection in held:
        connection.rollback()
        connection.close()


async def test_stopping_while_the_store_is_down_returns_and_loses_nothing(
    tmp_path: Path, locked_store: list[sqlite3.Connection]
) -> None:
    command = HubCommand(
        tmp_path / "hub", HUB_SHUTDOWN_GRACE="2", HUB_LOCK_TIMEOUT="60", HUB_LOG_LEVEL="INFO"
    )
    try:
        server = command.serve(tmp_path / "serve.log")
        url = serving_url(command, server)
        settings = _settings(command)
        store = Store(settings)
        await _publish_and_wait(url, store, 1)
        # Another process takes the store's write lock and keeps it: the writer waits on it.
        blocker = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        locked_store.append(blocker)
        late = example_event("missing.reported")
        await publish(url, late)
        await asyncio.sleep(1.0)  # fetched and handed to the writer, which is stuck on the lock
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        # The grace period (2 s) and a few seconds for the nats-server's own stop: one grace
        # period for the whole stop, not one per part.
        assert time.monotonic() - started < 2 + 8, "stop waited on the store"
        blocker.rollback()
        # Nothing acknowledged was lost: the next run stores the late event, once.
        again = command.serve(tmp_path / "again.log")
        serving_url(command, again)
        await eventually(lambda: store.stored() == 2, timeout=60)
        assert [f.body["event_id"] for f in store.facts()][-1] == late["event_id"]
    finally:
        command.stop()


async def test_an_idle_hub_logs_no_error_and_a_trickle_arrives_within_a_second(
    tmp_path: Path,
) -> None:
    """The FastStream pull loop died on nats-py's plain asyncio.TimeoutError about every ten
    seconds of idling, logged a traceback and dropped the batch it was fetching."""
    command = HubCommand(tmp_path / "hub", HUB_LOG_LEVEL="INFO")
    log = tmp_path / "serve.log"
    try:
        server = command.serve(log)
        url = serving_url(command, server)
        store = Store(_settings(command))
        rng = random.Random(14)
        delays = []
        deadline = time.monotonic() + IDLE_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(min(rng.uniform(4, 16), max(0.0, deadline - time.monotonic())))
            before = store.stored()
            sent = time.monotonic()
            await publish(url, example_event("missing.reported"))
            await eventually(lambda n=before: store.stored() > n, timeout=30, every=0.01)
            delays.append(time.monotonic() - sent)
        assert server.poll() is None
        text = log.read_text()
        assert not re.search(r" (ERROR|CRITICAL) |Traceback", text), text[-3000:]
        assert len(delays) >= IDLE_SECONDS / 16
        assert max(delays) < 1.0, [round(d, 2) for d in delays]
    finally:
        command.stop()


async def test_hub_status_check_says_whether_ingest_flows(tmp_path: Path) -> None:
    command = HubCommand(tmp_path / "hub")
    try:
        before = command.run("status", "--check")
        assert before.returncode == 1 and "hub serve is not running" in before.stdout
        server = command.serve(tmp_path / "serve.log")
        url = serving_url(command, server)
        await _publish_and_wait(url, Store(_settings(command)), 1)
        deadline = time.monotonic() + 30
        while (serving := command.run("status", "--check")).returncode != 0:
            assert time.monotonic() < deadline, serving.stdout
            await asyncio.sleep(0.5)
        shown = command.json("status")
        assert isinstance(shown, dict) and shown["problems"] == []
        assert shown["serving"]["pid"] == server.pid and shown["serving"]["nats_connected"]
        assert shown["serving"]["consumer_pending"] == 0
        server.send_signal(signal.SIGKILL)  # gone without removing its report
        server.wait()
        after = command.run("status", "--check")
        assert after.returncode == 1
        assert f"hub serve is not running (pid {server.pid} is gone)" in after.stdout
    finally:
        command.stop()


async def test_stopping_during_a_nats_outage_is_clean(tmp_path: Path) -> None:
    """FastStream drains the connection on stop, which nats-py refuses while reconnecting: a
    hub told to stop during an outage exited with a traceback and status 2."""
    identities = Identities(tmp_path / "credentials")
    nats_server = EmbeddedNats(tmp_path / "nats", identities=identities).__enter__()
    register_bus(nats_server.url, identities)
    command = HubCommand(tmp_path / "hub", **hub_env(nats_server.url), HUB_LOG_LEVEL="INFO")
    log = tmp_path / "serve.log"
    try:
        server = command.serve(log)
        await consumer_ready(nats_server.url)
        await _publish_and_wait(nats_server.url, Store(_settings(command)), 1)
        assert nats_server.process is not None
        nats_server.process.kill()
        nats_server.process.wait()
        deadline = time.monotonic() + 10
        while "lost the NATS connection" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.1)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()[-2000:]
        assert time.monotonic() - started < 15
        assert "Traceback" not in log.read_text()
    finally:
        command.stop()
        nats_server.stop()
