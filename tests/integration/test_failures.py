"""What the store side does when a write fails part-way, or the writer process dies."""

from __future__ import annotations

import functools
import os
import signal
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from contracts.examples import example_event
from hub.adapters.application import HubApplication
from hub.adapters.keyring import MasterKey
from hub.adapters.store import EventStore
from hub.bootstrap import build_ingest
from hub.config import Settings
from hub.domain.intake import Inbound
from hub.entrypoints.writer import WriterProcess, WriterThread
from hub.errors import StoreUnavailable
from hub.service.ingest import IngestService
from tests.integration.test_store import inbound

LINKED = {"ids": {"nhs_number": "9990000018", "la_child_id": "LA-7"}}
COUNCIL_ONLY = {"ids": {"la_child_id": "LA-7"}}


def _fail_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> None:
    original = getattr(target, name)
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("database is locked")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, failing)


def test_failure_after_the_facts_commit_keeps_their_identifiers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest = build_ingest(settings)
    _fail_once(monkeypatch, ingest.store.rejections.recorder, "insert_events")
    batch = [
        *inbound(example_event("missing.reported", child=LINKED)),
        Inbound("safeguarding.v1.police.missing.found", b"{", 2),
    ]
    with pytest.raises(StoreUnavailable):
        ingest.record(batch)
    # The fact is stored; a later event naming only the council id is the same child.
    later = ingest.record(
        inbound(example_event("care.period_started", child=COUNCIL_ONLY), start=9)
    )
    facts = list(ingest.store.facts.all())
    assert later.stored == 1 and facts[0].child_id == facts[1].child_id
    # The redelivered batch stores its reject and counts the fact as a duplicate.
    again = ingest.record(batch)
    assert (again.stored, again.duplicates, len(again.rejections)) == (0, 1, 1)
    assert ingest.store.rejections.count() == 1


def test_failure_before_the_facts_commit_reloads_the_registry(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest = build_ingest(settings)
    _fail_once(monkeypatch, ingest.store.facts.recorder, "insert_events")
    with pytest.raises(StoreUnavailable):
        ingest.record(inbound(example_event("missing.reported", child=LINKED)))
    assert ingest.store.facts.count() == 0
    # Another event with the same council id arrives first: it takes the stored identifier's child.
    ingest.record(inbound(example_event("care.period_started", child=COUNCIL_ONLY), start=5))
    restarted = build_ingest(settings)
    restarted.record(inbound(example_event("missing.found", child=COUNCIL_ONLY), start=6))
    children = {fact.child_id for fact in restarted.store.facts.all()}
    assert len(children) == 1, "memory and table must agree on which child LA-7 is"


def test_the_pseudonym_key_is_kept_in_the_store(settings: Settings) -> None:
    first = build_ingest(settings)
    second = build_ingest(settings)
    key = "nhs_number:9990000018"
    assert first.registry.pseudonyms.child_id(key) == second.registry.pseudonyms.child_id(key)


def test_two_stores_have_different_keys(tmp_path: Any) -> None:
    a = build_ingest(Settings(data_dir=tmp_path / "a"))
    b = build_ingest(Settings(data_dir=tmp_path / "b"))
    key = "nhs_number:9990000018"
    assert a.registry.pseudonyms.child_id(key) != b.registry.pseudonyms.child_id(key)


async def test_a_killed_writer_process_is_replaced(sqlite_settings: Settings) -> None:
    recorder = WriterProcess(functools.partial(build_ingest, sqlite_settings))
    try:
        [pid] = list(recorder.executor._processes)  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
        batch = inbound(example_event("missing.reported"))
        with pytest.raises(StoreUnavailable, match="restarted"):
            await recorder.record(batch)
        assert (await recorder.record(batch)).stored == 1
    finally:
        recorder.close(5)


def _read_only_ingest(settings: Settings) -> IngestService:
    """The ingest service on a connection SQLite opened read-only, as it does when the disk is
    remounted read-only (or the file made unwritable) at the moment a writer (re)opens it."""
    env = settings.store_env() | {"HUB_SQLITE_DBNAME": f"file:{settings.sqlite_path}?mode=ro"}
    master = MasterKey(None, settings.default_master_key)
    return IngestService(EventStore(HubApplication(env=env), master), settings.stream)


async def test_a_writer_that_opened_a_read_only_store_opens_it_again(
    sqlite_settings: Settings,
) -> None:
    build_ingest(sqlite_settings).store.close()  # the store exists, with its key
    opened: list[str] = []

    def build() -> IngestService:
        # The fault lasts for the first opening only: after it, the disk is writable again.
        opened.append("read-only" if not opened else "writable")
        if opened[-1] == "read-only":
            return _read_only_ingest(sqlite_settings)
        return build_ingest(sqlite_settings)

    recorder = WriterThread(build)
    try:
        batch = inbound(example_event("missing.reported"))
        with pytest.raises(StoreUnavailable):
            await recorder.record(batch)
        # The same connection would refuse for ever ("attempt to write a readonly database").
        assert (await recorder.record(batch)).stored == 1
    finally:
        recorder.close(5)
    assert opened == ["read-only", "writable"]
    assert build_ingest(sqlite_settings).store.facts.count() == 1
