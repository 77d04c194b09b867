"""The audit chain on the honest in-memory streams: appended in order, checked link by link."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from typing import Any

from hub.domain.audit import AUDIT_LOG_ID
from hub.domain.people import User
from hub.service.audit import AuditLog
from tests.fakes import MemoryStreams

ALICE = User("alice", "foi_officer")


def test_entries_are_numbered_and_chained() -> None:
    log = AuditLog(MemoryStreams())
    first = log.record(ALICE, "foi", {"statistic": "cse-cases", "period": "2019"}, digest="d1")
    second = log.record(ALICE, "forum", {"month": "2019-03", "ignored": None}, outcome="refused")
    assert (first.seq, second.seq) == (1, 2)
    assert second.what == {"month": "2019-03"}
    assert [e.action for e in log.entries()] == ["foi", "forum"]
    assert log.verify() == []
    assert log.head() == (2, second.hash)


def test_since_filters_by_time() -> None:
    times = iter([dt.datetime(2020, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3)])
    log = AuditLog(MemoryStreams(), clock=lambda: next(times))
    for action in ("a", "b", "c"):
        log.record(ALICE, action, {})
    since = dt.datetime(2020, 1, 2, tzinfo=dt.UTC)
    assert [e.action for e in log.entries(since)] == ["b", "c"]


def _tampered(streams: MemoryStreams[Any], version: int, **changes: Any) -> None:
    events = streams._events  # the fake's rows, as someone with the database file would
    index = next(i for i, e in enumerate(events) if e.originator_version == version)
    events[index] = replace(events[index], **changes)


def test_a_changed_entry_is_detected() -> None:
    streams: MemoryStreams[Any] = MemoryStreams()
    log = AuditLog(streams)
    for n in range(4):
        log.record(ALICE, "foi", {"n": n})
    _tampered(streams, 2, user="mallory")
    assert log.verify() == ["entry 2 has been changed since it was written"]


def test_a_removed_entry_is_detected() -> None:
    streams: MemoryStreams[Any] = MemoryStreams()
    log = AuditLog(streams)
    for n in range(4):
        log.record(ALICE, "foi", {"n": n})
    streams._events = [e for e in streams._events if e.originator_version != 3]
    problems = log.verify()
    assert "entries 3 to 3 are missing" in problems
    assert "entry 4 does not follow the entry before it" in problems


def test_a_rehashed_forgery_still_breaks_the_next_link() -> None:
    streams: MemoryStreams[Any] = MemoryStreams()
    log = AuditLog(streams)
    for n in range(3):
        log.record(ALICE, "foi", {"n": n})
    forged = replace(streams.stream(AUDIT_LOG_ID)[0], what={"n": 99})
    from hub.domain.audit import recomputed

    _tampered(streams, 1, what={"n": 99}, hash=recomputed(forged))
    assert log.verify() == ["entry 2 does not follow the entry before it"]


def test_appends_from_many_threads_make_one_chain() -> None:
    log = AuditLog(MemoryStreams())

    def work(n: int) -> None:
        for i in range(25):
            log.record(User(f"u{n}", "analyst"), "foi", {"i": i})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e.seq for e in log.entries()] == list(range(1, 101))
    assert log.verify() == []
