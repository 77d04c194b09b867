"""The ingest service on a real store, SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3

import orjson
import pytest

import contracts
from contracts.examples import example_event
from hub.bootstrap import build_ingest, build_store
from hub.config import Settings
from hub.domain.events import FactRecorded
from hub.domain.intake import Inbound
from hub.domain.privacy import original_body
from hub.errors import StoreUnavailable
from hub.service import queries


def inbound(*bodies: dict, start: int = 1) -> list[Inbound]:
    return [
        Inbound(contracts.subject_for(b["source"]["agency"], b["event_type"]), orjson.dumps(b), i)
        for i, b in enumerate(bodies, start=start)
    ]


def test_a_batch_is_stored_with_consecutive_global_positions(settings: Settings) -> None:
    ingest = build_ingest(settings)
    events = [example_event("missing.reported") for _ in range(5)]
    outcome = ingest.record(inbound(*events))
    assert (outcome.stored, outcome.position) == (5, 5)
    stored = list(ingest.store.facts.all())
    assert [str(f.originator_id) for f in stored] == [e["event_id"] for e in events]
    assert all(isinstance(f, FactRecorded) for f in stored)
    # Stored sealed: the body kept is the view, the one sent is read back under the key.
    assert [original_body(f, ingest.store.keyring) for f in stored] == events
    assert all("ids" not in f.body.get("child", {}) for f in stored)
    assert [n.id for n in ingest.store.facts.notifications()] == [1, 2, 3, 4, 5]


def test_a_redelivered_batch_is_stored_once_even_after_a_restart(settings: Settings) -> None:
    events = [example_event("missing.reported") for _ in range(3)]
    first = build_ingest(settings)
    first.record(inbound(*events))
    restarted = build_ingest(settings)
    outcome = restarted.record(inbound(*events, example_event("missing.found")))
    assert (outcome.stored, outcome.duplicates) == (1, 3)
    assert queries.status(build_store(settings))["stored"] == 4


def test_a_restarted_hub_resolves_known_children_the_same_way(settings: Settings) -> None:
    child = {"ids": {"la_child_id": "LA-42"}}
    first = build_ingest(settings)
    first.record(inbound(example_event("care.period_started", child=child)))
    [before] = list(first.store.facts.all())
    restarted = build_ingest(settings)
    assert len(restarted.registry) == 1
    restarted.record(
        inbound(
            example_event(
                "missing.reported",
                child={"ids": {"la_child_id": "LA-42", "police_person_id": "P-1"}},
            )
        )
    )
    after = list(restarted.store.facts.all())[-1]
    assert after.child_id == before.child_id and after.joined_child_ids == []


def test_rejections_are_kept_once_per_stream_message(settings: Settings) -> None:
    ingest = build_ingest(settings)
    bad = [Inbound("safeguarding.v1.police.missing.reported", b"{", 7)]
    ingest.record(bad)
    ingest.record(bad)
    rows = queries.rejects(build_store(settings))
    assert [(r["stream_seq"], r["reason"]) for r in rows] == [(7, "body is not valid JSON")]
    assert queries.status(build_store(settings)) == {
        "stored": 0,
        "rejected": 1,
        "position": 0,
        "identifiers": 0,
    }


def test_recorded_times_never_go_backwards(settings: Settings) -> None:
    ingest = build_ingest(settings)
    for _ in range(3):
        ingest.record(inbound(example_event("missing.reported")))
    times = [f.timestamp for f in ingest.store.facts.all()]
    assert times == sorted(times)
    assert build_ingest(settings)._last_recorded == times[-1]


def test_a_locked_database_is_unavailable_not_a_reject(sqlite_settings: Settings) -> None:
    settings = sqlite_settings.model_copy(update={"lock_timeout": 1})
    ingest = build_ingest(settings)
    blocker = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable):
            ingest.record(inbound(example_event("missing.reported")))
    finally:
        blocker.execute("ROLLBACK")
    assert len(ingest.registry) == 0, "identifiers of a failed batch must not be kept"
    assert ingest.record(inbound(example_event("missing.reported"))).stored == 1
