"""The projector fed from the in-memory store's feed answers as it does from the real SQLite
feed, on the same events recorded through the ingest service at the same hub times; and how
catch-up pages the feed does not change the answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from contracts.examples import example_event, nhs_number
from hub.bootstrap import build_feed, build_store
from hub.config import Settings
from hub.feed import FactFeed
from hub.service.ingest import IngestService
from hub.service.ports import Store
from projections import ProjectionStore, answer, catch_up, parse_as_of, parse_period
from tests.fakes import MemoryStore, inbound

Batch = tuple[str, list[dict[str, Any]]]  # (hub time it is recorded at, events)


def child(n: int) -> dict[str, Any]:
    return {"ids": {"nhs_number": nhs_number(n), "la_child_id": f"LA-{n}"}}


def report(ref: str, last_seen: str, n: int, classification: str = "missing") -> dict[str, Any]:
    return example_event(
        "missing.reported",
        occurred_at=last_seen,
        child=child(n),
        episode_ref=ref,
        last_seen_at=last_seen,
        classification=classification,
    )


def history() -> list[Batch]:
    """Nine facts (one event is redelivered); in 2017/18: E1, E3, E6 missing, E2 and E5
    absent (E5 corrected from missing, recorded in June 2018); E6 by a looked-after UASC
    child; E4 is in 2016/17."""
    e1 = report("E1", "2017-05-01T10:00:00+00:00", 1)
    e5 = report("E5", "2018-02-01T10:00:00+00:00", 2)
    found = example_event(
        "missing.found",
        occurred_at="2017-05-02T09:00:00+00:00",
        child=child(1),
        episode_ref="E1",
        found_at="2017-05-02T09:00:00+00:00",
    )
    care = example_event(
        "care.period_started", occurred_at="2017-01-01T09:00:00+00:00", child=child(3), uasc=True
    )
    corrected = example_event(
        "record.corrected",
        occurred_at=e5["occurred_at"],
        agency="police",
        target_event_id=e5["event_id"],
        replacement={**e5["payload"], "classification": "absent"},
    )
    return [
        ("2017-01-02T00:00:00+00:00", [care, report("E4", "2016-12-01T10:00:00+00:00", 3)]),
        ("2017-05-03T00:00:00+00:00", [e1, found]),
        ("2017-08-02T00:00:00+00:00", [report("E2", "2017-08-01T10:00:00+00:00", 2, "absent")]),
        ("2017-09-02T00:00:00+00:00", [report("E6", "2017-09-01T10:00:00+00:00", 3)]),
        ("2017-10-02T00:00:00+00:00", [e1, report("E3", "2017-10-01T10:00:00+00:00", 1)]),
        ("2018-02-02T00:00:00+00:00", [e5]),
        ("2018-06-01T00:00:00+00:00", [corrected]),
    ]


def record(store: Store, batches: list[Batch]) -> None:
    now = [dt.datetime.min.replace(tzinfo=dt.UTC)]
    ingest = IngestService(store, "SAFEGUARDING", clock=lambda: now[0])
    seq = 0
    for at, events in batches:
        now[0] = dt.datetime.fromisoformat(at)
        outcome = ingest.record(inbound(*events, start=seq + 1))
        seq += len(events)
        assert outcome.rejections == [] and outcome.deferred == []


def ask(feed: FactFeed, path: Path, page: int = 1000, as_of: str | None = None) -> Any:
    projection = ProjectionStore(path)
    catch_up(feed, projection, page=page)
    return answer(
        projection,
        "missing-occasions",
        parse_period("2017/18"),
        as_of=parse_as_of(as_of) if as_of else None,
        suppress=False,
    )


@pytest.fixture(scope="module")
def events() -> list[Batch]:
    return history()


@pytest.fixture
def memory(events: list[Batch]) -> FactFeed:
    store = MemoryStore()
    record(store, events)
    assert store.facts.count() == 9
    return store.feed()


@pytest.fixture
def sqlite(events: list[Batch], tmp_path: Path) -> FactFeed:
    settings = Settings(data_dir=tmp_path / "hub")
    record(build_store(settings), events)
    return build_feed(settings)


def figures(result: Any) -> dict[str, Any]:
    return {name: cell["value"] for name, cell in result["figures"].items()}


@pytest.mark.parametrize("as_of", [None, "2018-03-01T00:00:00+00:00"])
def test_the_fake_feed_answers_as_the_sqlite_feed_does(
    memory: FactFeed, sqlite: FactFeed, tmp_path: Path, as_of: str | None
) -> None:
    from_memory = ask(memory, tmp_path / "memory.sqlite", as_of=as_of)
    from_sqlite = ask(sqlite, tmp_path / "sqlite.sqlite", as_of=as_of)

    assert from_memory == from_sqlite  # figures, as-of time, provenance digest and all
    corrected = as_of is None  # the correction was recorded after 2018-03-01
    assert figures(from_memory) == {
        "all.missing": 3 if corrected else 4,  # E1, E3, E6 (and E5 before its correction)
        "all.absent": 2 if corrected else 1,  # E2 (and E5 once corrected)
        "all.total": 5,
        "looked_after.missing": 1,  # E6
        "looked_after.absent": 0,
        "looked_after.total": 1,
        "uasc.missing": 1,
        "uasc.absent": 0,
        "uasc.total": 1,
    }
    assert from_memory["provenance"]["position"] == (9 if corrected else 8)


def test_paging_the_feed_two_facts_at_a_time_gives_the_same_answer(
    memory: FactFeed, tmp_path: Path
) -> None:
    small = ProjectionStore(tmp_path / "small.sqlite")
    assert catch_up(memory, small, page=2, max_pages=1) == 2
    assert small.head()[0] == 2
    assert catch_up(memory, small, page=2) == 7  # positions 3..9, in pages of 2, 2, 2, 1
    assert catch_up(memory, small, page=2) == 0

    assert ask(memory, tmp_path / "small.sqlite", page=2) == ask(memory, tmp_path / "big.sqlite")
