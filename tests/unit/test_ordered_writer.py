"""The ordered writer over the fake recorder (a real ingest service on the in-memory store):
arrival order, back-pressure, retries in place, and stopping with the store down or stuck."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest

from contracts.examples import example_event
from hub.domain.intake import Inbound
from hub.service.ingest import Outcome
from hub.service.ordered import OrderedWriter
from tests.fakes import FakeRecorder, inbound

GRACE = 0.3


class Settle:
    """The settle step: what it was given, in order; it fails for the handles in ``failing``."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.settled: list[tuple[list[str], list[int], Outcome]] = []

    async def __call__(self, handles: list[str], batch: list[Inbound], outcome: Outcome) -> None:
        if set(handles) & self.failing:
            raise RuntimeError("the broker refused the acknowledgement")
        self.settled.append((handles, [m.stream_seq for m in batch], outcome))

    @property
    def handles(self) -> list[list[str]]:
        return [handles for handles, _, _ in self.settled]


def batch(n: int) -> list[Inbound]:
    """Batch ``n`` (1, 2, ...): two new events at stream sequences 2n-1 and 2n."""
    return inbound(
        example_event("missing.reported"), example_event("missing.found"), start=2 * n - 1
    )


async def until(check: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)


@pytest.fixture
def recorder() -> Iterator[FakeRecorder]:
    recorder = FakeRecorder()
    yield recorder
    recorder.release()  # a test that blocked it leaves no thread waiting
    recorder.close(0)


async def test_batches_are_recorded_and_settled_in_arrival_order(recorder: FakeRecorder) -> None:
    settle = Settle()
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=5, depth=3)
    for n, handle in enumerate("abc", start=1):
        await writer.submit([handle], batch(n))
    await writer.close()

    assert settle.handles == [["a"], ["b"], ["c"]]
    assert [seqs for _, seqs, _ in settle.settled] == [[1, 2], [3, 4], [5, 6]]
    assert [(o.stored, o.position) for _, _, o in settle.settled] == [(2, 2), (2, 4), (2, 6)]
    assert recorder.calls == [[1, 2], [3, 4], [5, 6]]
    assert [f.stream_seq for f in recorder.store.facts.all()] == [1, 2, 3, 4, 5, 6]


async def test_a_third_batch_waits_while_the_first_is_recorded(recorder: FakeRecorder) -> None:
    settle = Settle()
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=5, depth=1)
    recorder.block()
    await writer.submit(["a"], batch(1))
    await writer.submit(["b"], batch(2))  # returns once the writer has taken the first
    await until(lambda: recorder.calls == [[1, 2]])
    third = asyncio.create_task(writer.submit(["c"], batch(3)))
    await asyncio.sleep(0.1)
    assert not third.done(), "the queue is full: the subscriber must wait"
    assert settle.settled == []

    recorder.release()
    await asyncio.wait_for(third, 5)
    await writer.close()
    assert settle.handles == [["a"], ["b"], ["c"]]
    assert recorder.calls == [[1, 2], [3, 4], [5, 6]]


async def test_an_unavailable_store_is_retried_in_place_holding_back_later_batches(
    recorder: FakeRecorder,
) -> None:
    settle = Settle()
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=5, depth=1)
    recorder.store.down = True
    await writer.submit(["a"], batch(1))
    await writer.submit(["b"], batch(2))
    await until(lambda: len(recorder.calls) >= 3)
    assert all(call == [1, 2] for call in recorder.calls), "only the first batch is tried"
    assert settle.settled == [] and recorder.recorded == []

    recorder.store.down = False
    await until(lambda: len(settle.settled) == 2)
    assert settle.handles == [["a"], ["b"]]
    assert recorder.calls[-1] == [3, 4] and all(c == [1, 2] for c in recorder.calls[:-1])
    assert recorder.recorded == [[1, 2], [3, 4]]
    assert [o.stored for _, _, o in settle.settled] == [2, 2]
    assert recorder.store.facts.count() == 4
    await writer.close()


async def test_close_with_the_store_down_gives_up_after_grace_unsettled(
    recorder: FakeRecorder,
) -> None:
    settle = Settle()
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=GRACE, depth=1)
    recorder.store.down = True
    await writer.submit(["a"], batch(1))
    await until(lambda: len(recorder.calls) >= 1)

    started = time.monotonic()
    await writer.close()
    elapsed = time.monotonic() - started

    assert GRACE - 0.05 <= elapsed < GRACE + 0.7
    recorder.store.down = False
    tried = len(recorder.calls)
    await writer.submit(["b"], batch(2))  # after close: dropped, not recorded
    await asyncio.sleep(0.1)
    assert settle.settled == [], "a batch not stored is never acknowledged"
    assert len(recorder.calls) == tried and recorder.store.facts.count() == 0


async def test_close_with_the_store_stuck_gives_up_after_grace_unsettled(
    recorder: FakeRecorder,
) -> None:
    settle = Settle()
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=GRACE, depth=1)
    recorder.block()
    await writer.submit(["a"], batch(1))
    await writer.submit(["b"], batch(2))
    await until(lambda: recorder.calls == [[1, 2]])
    waiting = asyncio.create_task(writer.submit(["c"], batch(3)))  # held by back-pressure

    started = time.monotonic()
    await writer.close()
    elapsed = time.monotonic() - started

    assert GRACE - 0.05 <= elapsed < GRACE + 0.7
    await asyncio.wait_for(waiting, 1)  # the waiting subscriber is let go
    recorder.release()  # the stuck call finishes now, with nobody to settle it
    await until(lambda: recorder.store.facts.count() == 2)
    await asyncio.sleep(0.05)
    assert settle.settled == [] and recorder.recorded == []
    assert recorder.calls == [[1, 2]]


async def test_close_with_a_healthy_store_settles_what_was_queued_first(
    recorder: FakeRecorder,
) -> None:
    settle = Settle()
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=5, depth=3)
    recorder.block()
    for n, handle in enumerate("abc", start=1):
        await writer.submit([handle], batch(n))
    closing = asyncio.create_task(writer.close())
    await asyncio.sleep(0.1)
    assert not closing.done() and settle.settled == []

    recorder.release()
    await asyncio.wait_for(closing, 5)
    assert settle.handles == [["a"], ["b"], ["c"]]
    assert recorder.store.facts.count() == 6


async def test_a_settle_failure_is_logged_and_the_writer_goes_on(
    recorder: FakeRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    settle = Settle(failing=frozenset({"a"}))
    writer = OrderedWriter[str](recorder, settle, retry_delay=0.01, grace=5, depth=2)
    await writer.submit(["a"], batch(1))
    await writer.submit(["b"], batch(2))
    await writer.close()

    assert "batch of 2 stored but not acknowledged" in caplog.text
    assert settle.handles == [["b"]]
    assert recorder.calls == [[1, 2], [3, 4]], "a stored batch is not recorded again"
    assert recorder.store.facts.count() == 4
