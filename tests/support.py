"""Helpers for tests that run the hub against real servers."""

from __future__ import annotations

import asyncio
import os
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
import orjson
import psycopg
import pytest

import contracts
from agencies import Bus
from agencies._outgoing import Outgoing
from agencies.publisher import msg_id as msg_id_for
from hub.adapters.bus_identities import HUB, Identities
from hub.adapters.bus_login import BusLogin
from hub.bootstrap import build_recorder, build_store
from hub.config import Settings
from hub.entrypoints.consumer import Consumer
from hub.service import queries
from hub.service.ordered import Recorder

# The identities of each NATS server a test started (by URL), so the helpers below log in as
# the party they act for: an agency publishes with its key, the hub's tools with the hub's.
_IDENTITIES: dict[str, Identities] = {}


def register_bus(url: str, identities: Identities) -> None:
    _IDENTITIES[url] = identities


def _seed(url: str, role: str) -> Path | None:
    """``role``'s seed file on the server at ``url``, if it has identities."""
    identities = _IDENTITIES.get(url)
    identity = identities.get(role) if identities else None
    return identity.seed_file if identity else None


def login(url: str, role: str = HUB) -> dict[str, Any]:
    """``nats.connect`` keywords for ``role`` on the server at ``url``."""
    seed = _seed(url, role)
    return BusLogin(role, seed).options() if seed else {}


def hub_login(url: str, tls: ssl.SSLContext | None = None) -> BusLogin:
    return BusLogin(HUB, _seed(url, HUB), tls)


def bus(url: str, agency: str) -> Bus:
    """Where and as whom ``agency`` publishes on the server at ``url``."""
    return Bus(url, _seed(url, agency))


def hub_env(url: str) -> dict[str, str]:
    """The environment for a ``hub serve`` on the test's own server at ``url``."""
    seed = _seed(url, HUB)
    return {"HUB_NATS_URL": url, **({"HUB_NATS_CREDS": str(seed)} if seed else {})}


async def connect(url: str, role: str = HUB, **options: Any) -> nats.aio.client.Client:
    return await nats.connect(url, **login(url, role), **options)


async def eventually(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> Any:
    """Wait for ``check()`` to return something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        await asyncio.sleep(every)


class Store:
    """Read side of a hub's store, as ``hub status`` and ``hub rejects`` see it."""

    def __init__(self, settings: Settings) -> None:
        self.store = build_store(settings)

    def status(self) -> dict[str, int]:
        return queries.status(self.store)

    def rejects(self) -> list[dict[str, Any]]:
        return queries.rejects(self.store)

    def facts(self) -> list[Any]:
        return list(self.store.facts.all())

    def stored(self) -> int:
        return self.status()["stored"]


@asynccontextmanager
async def running_hub(
    settings: Settings,
    url: str,
    recorder: Recorder | None = None,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[Store]:
    """The hub's consumer running in this event loop, as ``hub serve`` runs it."""
    recorder = recorder or build_recorder(settings)
    consumer = Consumer(settings, recorder, url, hub_login(url, tls))
    await consumer.start()
    try:
        yield Store(settings)
    finally:
        await consumer.stop()
        recorder.close(settings.shutdown_grace)


async def publish(
    url: str, *bodies: dict[str, Any] | tuple[str, bytes], msg_id: str | None = None
) -> list[Any]:
    """Publish events as their agency would, each agency with its own login (or raw
    ``(subject, bytes)``, as the subject's agency); return the acks."""
    clients: dict[str, nats.aio.client.Client] = {}
    try:
        acks = []
        for body in bodies:
            if isinstance(body, tuple):
                subject, data = body
                headers = None
            else:
                subject = contracts.subject_for(body["source"]["agency"], body["event_type"])
                data = orjson.dumps(body)
                default = msg_id_for(Outgoing(subject, body["event_id"], data))
                headers = {"Nats-Msg-Id": msg_id or default}
            agency = subject.split(".")[2]
            if agency not in clients:
                clients[agency] = await connect(url, agency)
            acks.append(await clients[agency].jetstream().publish(subject, data, headers=headers))
        return acks
    finally:
        for client in clients.values():
            await client.close()


async def notices(url: str, agency: str, count: int, timeout: float = 10.0) -> list[Any]:
    """The next ``count`` notices addressed to ``agency``, read as the agency reads them: with
    its own login, from the durable the hub keeps for it (``notices_<agency>``)."""
    client = await connect(url, agency)
    try:
        pull = await client.jetstream().pull_subscribe_bind(
            f"notices_{agency}", stream="SAFEGUARDING_NOTICES"
        )
        received: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            try:
                batch = await pull.fetch(count - len(received), timeout=1)
            except TimeoutError:
                continue
            for message in batch:
                received.append(orjson.loads(message.data))
                await message.ack()
        return received
    finally:
        await client.close()


async def consumer_ready(url: str, stream: str = "SAFEGUARDING", durable: str = "hub") -> bool:
    """Wait (up to 10 s) for a ``hub serve`` to have created its durable consumer."""
    client = await connect(url)
    try:
        for _ in range(200):
            try:
                await client.jetstream().consumer_info(stream, durable)
                return True
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.05)
        return False
    finally:
        await client.close()


POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_schema() -> Iterator[str]:
    """A database URL on a fresh schema, dropped afterwards; skipped without PostgreSQL, a
    failure in CI (where it must run)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        connection = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must be reachable in CI at {POSTGRES_URL}: {error}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    with connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{POSTGRES_URL}?schema={schema}"
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
