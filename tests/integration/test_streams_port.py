"""The Streams port's promises (the read side's users, audit and register), checked on the
in-memory fake and the real ``StreamTable`` on SQLite and PostgreSQL: the same tests with the
same results are what make the fake honest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from hub.bootstrap import build_read_side
from hub.config import Settings
from hub.domain.register import AnswerGiven
from hub.errors import StoreConflict
from hub.service.ports import Streams
from tests.fakes import MemoryStreams
from tests.support import postgres_schema

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def streams(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Streams[Any]]:
    if request.param == "memory":
        yield MemoryStreams()
        return
    urls = postgres_schema() if request.param == "postgres" else iter([None])
    for url in urls:
        tables = build_read_side(Settings(data_dir=tmp_path / "hub", database_url=url))
        try:
            yield tables.given
        finally:
            tables.close()


def event(stream: int, version: int, **changes: Any) -> AnswerGiven:
    fields: dict[str, Any] = {
        "statistic": "missing-occasions",
        "start": "2017-04-01",
        "end": "2018-03-31",
        "figures": {"all.missing": 12, "nested": {"ü": [1, None]}},
        **changes,
    }
    return AnswerGiven(
        originator_id=UUID(int=stream),
        originator_version=version,
        timestamp=T0 + dt.timedelta(seconds=version),
        **fields,
    )


def test_a_stream_reads_back_in_version_order(streams: Streams[Any]) -> None:
    streams.append([event(1, 1), event(2, 1)])
    streams.append([event(1, 2, statistic="cse-cases")])
    assert [e.originator_version for e in streams.stream(UUID(int=1))] == [1, 2]
    assert streams.stream(UUID(int=1))[1].statistic == "cse-cases"
    assert streams.stream(UUID(int=1))[0].figures == {"all.missing": 12, "nested": {"ü": [1, None]}}
    assert streams.stream(UUID(int=1))[0].timestamp == T0 + dt.timedelta(seconds=1)
    assert streams.stream(UUID(int=3)) == []


def test_last_is_the_highest_version(streams: Streams[Any]) -> None:
    assert streams.last(UUID(int=1)) is None
    streams.append([event(1, 1), event(1, 2), event(1, 3)])
    last = streams.last(UUID(int=1))
    assert last is not None and last.originator_version == 3


def test_a_taken_version_is_refused_and_the_batch_stores_nothing(streams: Streams[Any]) -> None:
    streams.append([event(1, 1)])
    with pytest.raises(StoreConflict):
        streams.append([event(2, 1), event(1, 1, statistic="other")])
    assert streams.stream(UUID(int=2)) == []
    assert streams.stream(UUID(int=1))[0].statistic == "missing-occasions"


def test_all_is_every_event_in_the_order_stored(streams: Streams[Any]) -> None:
    streams.append([event(2, 1)])
    streams.append([event(1, 1)])
    streams.append([event(2, 2)])
    assert [(e.originator_id.int, e.originator_version) for e in streams.all()] == [
        (2, 1),
        (1, 1),
        (2, 2),
    ]
