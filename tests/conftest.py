"""Fixtures shared by every layer: an isolated environment, real NATS, both stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import EmbeddedNats
from hub.config import Settings
from tests.support import postgres_schema, register_bus


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No HUB_* or eventsourcing setting from the developer's shell leaks into a test."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("HUB_", "PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CIPHER_")):
            monkeypatch.delenv(key)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A real nats-server 2.14 with JetStream, on a free loopback port, for one test, with the
    hub's configuration: every party logs in with its own key (``tests.support.login``)."""
    identities = Identities(tmp_path / "credentials")
    with EmbeddedNats(tmp_path / "nats", identities=identities) as server:
        register_bus(server.url, identities)
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Hub settings on a fresh store: SQLite in a temporary folder, or a PostgreSQL schema."""
    base = {
        "data_dir": tmp_path / "hub",
        "ack_wait": 2.0,
        "batch_timeout": 0.05,
        "retry_delay": 0.2,
        "target_retries": 1,
        "writer": "thread",
    }
    if request.param == "sqlite":
        yield Settings(**base)
    else:
        yield from (Settings(**base, database_url=url) for url in postgres_schema())


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "hub",
        ack_wait=2.0,
        batch_timeout=0.05,
        retry_delay=0.2,
        target_retries=1,
        writer="thread",
    )
