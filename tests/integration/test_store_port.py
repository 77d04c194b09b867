"""The Store port's and the read port's promises, checked on every implementation: the
in-memory fake (``tests.fakes.MemoryStore``) and the real ``EventStore`` on SQLite and on
PostgreSQL. The same tests with the same results are what make the fake honest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from hub.adapters.feed import StoreFeed
from hub.bootstrap import build_feed, build_store
from hub.config import Settings
from hub.domain.events import FactRecorded, IdentifierRegistered, KeyGenerated, MessageRejected
from hub.errors import StoreConflict, StoreUnavailable
from hub.feed import FactFeed, StoredFact
from hub.service.ports import Records, Store
from tests.fakes import MemoryStore
from tests.support import postgres_schema

# 2020-01-01T00:00:00Z is 1_577_836_800 s after the epoch.
T0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
T0_US = 1_577_836_800_000_000


@dataclass
class Port:
    store: Store
    feed: FactFeed


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def port(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Port]:
    """A fresh, empty store and the feed over it, on each implementation."""
    if request.param == "memory":
        memory = MemoryStore()
        yield Port(memory, memory.feed())
        return
    urls = postgres_schema() if request.param == "postgres" else iter([None])
    for url in urls:
        settings = Settings(data_dir=tmp_path / "hub", database_url=url)
        store, feed = build_store(settings), build_feed(settings)  # the feed: another reader
        try:
            yield Port(store, feed)
        finally:
            if isinstance(feed, StoreFeed):
                feed.close()
            store.close()


def uid(n: int) -> UUID:
    return UUID(int=n)


def fact(n: int, *, at: dt.datetime = T0, **changes: Any) -> FactRecorded:
    """Fact ``n``, event id ``UUID(int=n)``: ids chosen so that id order is not store order."""
    fields: dict[str, Any] = {
        "agency": "police",
        "event_type": "missing.reported",
        "event_id": str(uid(n)),
        "body": {"event_id": str(uid(n)), "n": n, "nested": {"list": [1, "ü", None]}},
        "child_id": str(uid(10_000 + n)),
        "joined_child_ids": [],
        "other_child_id": None,
        "stream_seq": n,
        "other_joined_child_ids": [],
        "sealed": [{"k": str(uid(10_000 + n)), "v": 1, "p": "body", "ct": "AAAA"}],
        "body_digest": f"digest {n}",
        **changes,
    }
    return FactRecorded(originator_id=uid(n), originator_version=1, timestamp=at, **fields)


def identifier(n: int) -> IdentifierRegistered:
    return IdentifierRegistered(
        originator_id=uid(n), originator_version=1, timestamp=T0, child_id=str(uid(500 + n))
    )


def rejection(n: int) -> MessageRejected:
    return MessageRejected(
        originator_id=uid(n),
        originator_version=1,
        timestamp=T0,
        subject="safeguarding.v1.police.missing.reported",
        agency="police",
        reason=f"reason {n}",
        event_id=None,
        raw_base64="",
        stream_seq=n,
        sealed=[{"k": "rejects/2020-01", "v": 1, "p": "message", "ct": "AAAA"}],
        named=[str(uid(700 + n))],
    )


def key(n: int) -> KeyGenerated:
    return KeyGenerated(
        originator_id=uid(n),
        originator_version=1,
        timestamp=T0,
        purpose=f"purpose {n}",
        secret_base64="c2VjcmV0",
    )


Table = Callable[[Store], Records[Any]]
TABLES: dict[str, tuple[Table, Callable[[int], Any]]] = {
    "identifiers": (lambda store: store.identifiers, identifier),
    "rejections": (lambda store: store.rejections, rejection),
    "keys": (lambda store: store.keys, key),
}


def test_an_empty_store_holds_nothing(port: Port) -> None:
    facts = port.store.facts
    assert (facts.position(), facts.count(), facts.last(), facts.get(uid(1))) == (0, 0, None, None)
    assert facts.existing([uid(1), uid(2)]) == set()
    assert facts.append([]) == 0
    for table, _ in TABLES.values():
        records = table(port.store)
        assert (records.count(), list(records.all()), records.get(uid(1))) == (0, [], None)
    assert (port.feed.head(), port.feed.origin(), list(port.feed.read(0, 10))) == (0, None, [])


def test_append_returns_the_highest_position_and_positions_increase(port: Port) -> None:
    facts = port.store.facts
    assert facts.append([fact(30), fact(20), fact(10)]) == 3
    assert facts.position() == 3
    assert facts.append([fact(5)]) == 4
    assert facts.append([fact(4), fact(3)]) == 6
    assert (facts.position(), facts.count()) == (6, 6)
    assert [f.event_id for f in port.feed.read(0, 100)] == [
        str(uid(n)) for n in (30, 20, 10, 5, 4, 3)
    ]


def test_append_of_a_held_id_stores_none_of_the_batch(port: Port) -> None:
    facts = port.store.facts
    facts.append([fact(1), fact(2)])
    with pytest.raises(StoreConflict):
        facts.append([fact(3), fact(2), fact(4)])
    with pytest.raises(StoreConflict):
        facts.append([fact(5), fact(5)])  # the same id twice in one batch
    assert issubclass(StoreConflict, StoreUnavailable)  # callers retry both the same way
    assert facts.existing([uid(n) for n in range(1, 6)]) == {uid(1), uid(2)}
    assert (facts.count(), facts.get(uid(3)), facts.last()) == (2, None, fact(2))
    # The log goes on after a refused batch, at a higher position than before it.
    assert facts.append([fact(3)]) > 2
    assert facts.last() == fact(3) and facts.count() == 3


def test_existing_get_last_and_count_of_facts(port: Port) -> None:
    facts = port.store.facts
    one = fact(1, joined_child_ids=["a", "b"], other_child_id="o", other_joined_child_ids=["c"])
    facts.append([one, fact(2)])
    facts.append([fact(3)])
    assert facts.existing([uid(3), uid(1), uid(99)]) == {uid(1), uid(3)}
    assert facts.get(uid(1)) == one and facts.get(uid(99)) is None
    assert facts.last() == fact(3)
    assert facts.count() == 3


@pytest.mark.parametrize("name", list(TABLES))
def test_add_new_stores_each_id_once_in_the_order_first_stored(port: Port, name: str) -> None:
    table, make = TABLES[name]
    records = table(port.store)
    records.add_new([make(9), make(7)])
    records.add_new([make(9), make(7)])  # a redelivered batch
    records.add_new([make(7), make(8), make(8)])  # partly held, and twice in the batch
    records.add_new([])
    assert records.count() == 3
    assert [event.originator_id for event in records.all()] == [uid(9), uid(7), uid(8)]
    assert records.get(uid(8)) == make(8) and records.get(uid(1)) is None


def test_add_new_keeps_the_first_copy_of_an_id(port: Port) -> None:
    records = port.store.identifiers
    records.add_new([identifier(1)])
    changed = IdentifierRegistered(
        originator_id=uid(1), originator_version=1, timestamp=T0, child_id=str(uid(2))
    )
    records.add_new([changed])
    assert records.get(uid(1)) == identifier(1)


def test_the_feed_pages_through_the_log_in_order(port: Port) -> None:
    facts = port.store.facts
    facts.append([fact(50), fact(40)])
    facts.append([fact(30), fact(20), fact(10)])
    feed = port.feed
    assert (feed.head(), feed.origin()) == (5, str(uid(50)))
    pages = [[(f.position, f.event_id) for f in feed.read(after, 2)] for after in (0, 2, 4, 5)]
    assert pages == [
        [(1, str(uid(50))), (2, str(uid(40)))],
        [(3, str(uid(30))), (4, str(uid(20)))],
        [(5, str(uid(10)))],
        [],
    ]
    assert [f.position for f in feed.read(3, 1000)] == [4, 5]


def test_a_stored_fact_reads_back_as_appended(port: Port) -> None:
    # The same instant written in UTC and at +01:00, a microsecond apart.
    plus_one = dt.timezone(dt.timedelta(hours=1))
    first = fact(
        1,
        at=T0.replace(microsecond=7),
        agency="local_authority",
        event_type="identity.linked",
        joined_child_ids=["j1", "j2"],
        other_child_id="other",
        other_joined_child_ids=["oj"],
    )
    second = FactRecorded(  # other_joined_child_ids left at its default
        originator_id=uid(2),
        originator_version=1,
        timestamp=dt.datetime(2020, 1, 1, 1, 0, 0, 8, tzinfo=plus_one),
        agency="health",
        event_type="health.concern_raised",
        event_id=str(uid(2)),
        body={"deep": [{"x": 1.5}], "text": "é"},
        child_id=None,
        joined_child_ids=[],
        other_child_id=None,
        stream_seq=2,
    )
    port.store.facts.append([first, second])
    assert list(port.feed.read(0, 10)) == [
        StoredFact(
            1,
            T0_US + 7,
            "local_authority",
            "identity.linked",
            str(uid(1)),
            first.body,
            str(uid(10_001)),
            ["j1", "j2"],
            "other",
            ["oj"],
        ),
        StoredFact(
            2,
            T0_US + 8,
            "health",
            "health.concern_raised",
            str(uid(2)),
            {"deep": [{"x": 1.5}], "text": "é"},
            None,
            [],
            None,
            [],
        ),
    ]
