"""Records batches in arrival order and settles each (acknowledges, refuses, defers) only
after it is committed.

The subscriber hands a batch over and goes back to fetching, so the next batch arrives while
this one is stored. One task records batches in the order they arrived, so a fact never lands
before an earlier message about the same record (a correction after its target); a batch the
store cannot take now (``StoreUnavailable``) is retried in place, holding back everything after
it, rather than skipped. The writer knows nothing of NATS: a batch comes with opaque handles
(the broker's messages) that only the ``settle`` step uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

from hub.domain.intake import Inbound
from hub.errors import StoreUnavailable, fault_frames
from hub.service.health import IngestHealth
from hub.service.ingest import Outcome

log = logging.getLogger("hub.consumer")
_MAX_BACKOFF = 30.0
H = TypeVar("H")


class Recorder(Protocol):
    """Where the synchronous ingest service runs, off the event loop (a process, a thread)."""

    restarts: int  # times it was started again after dying

    async def record(self, batch: Sequence[Inbound]) -> Outcome: ...

    def close(self, grace: float) -> None:
        """Stop; a batch still being recorded after ``grace`` seconds is abandoned (never
        acknowledged, so the server redelivers it)."""
        ...


Settle = Callable[[list[H], list[Inbound], Outcome], Awaitable[None]]


class OrderedWriter(Generic[H]):
    """A queue of fetched batches, drained by one task that records, then settles, each."""

    def __init__(
        self,
        recorder: Recorder,
        settle: Settle[H],
        retry_delay: float,
        grace: float = 15.0,
        depth: int = 1,
    ) -> None:
        self.recorder = recorder
        self.settle = settle
        self.retry_delay = retry_delay
        self.grace = grace
        self._queue: asyncio.Queue[tuple[list[H], list[Inbound]]] = asyncio.Queue(depth)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.abandoned = False  # close gave up on a batch the store would not take
        self.health = IngestHealth()

    async def submit(self, handles: list[H], batch: list[Inbound]) -> None:
        """Queue a fetched batch; waits while the writer is a batch behind (back-pressure)."""
        if self._closing:
            return  # not acknowledged: the server redelivers it to the next run
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="hub-writer")
        await self._queue.put((handles, batch))

    async def close(self) -> None:
        """Record and settle what is queued, for at most ``grace`` seconds, then stop.

        What is not settled by then (the store is down, say) was never acknowledged: the
        server redelivers it to the next run, so giving up loses nothing.
        """
        self._closing = True
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), self.grace)
        except TimeoutError:
            self.abandoned = True
            log.warning(
                "stopping with batches not stored after %.0fs (the store is not taking them);"
                " they were not acknowledged and will be redelivered",
                self.grace,
            )
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        # Release a subscriber waiting to queue a batch (back-pressure): it is dropped unsettled.
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    async def _run(self) -> None:
        while True:
            handles, batch = await self._queue.get()
            try:
                outcome = await self._record(batch)
                try:
                    await self.settle(handles, batch, outcome)
                except Exception as error:
                    # Stored already: a lost ack means a redelivery, which is a duplicate.
                    log.error(
                        "batch of %d stored but not acknowledged: %s",
                        len(batch),
                        fault_frames(error),
                    )
            finally:
                self._queue.task_done()

    async def _record(self, batch: list[Inbound]) -> Outcome:
        attempt = 0
        while True:
            self.health.recording()
            try:
                outcome = await self.recorder.record(batch)
                self.health.stored()
                return outcome
            except StoreUnavailable as error:
                level = logging.WARNING
                reason = str(error)
                self.health.failed(reason)
            except Exception as error:
                # The ingest service turns faults in the hub's code into rejects; one that
                # escapes it is in the recorder itself. Skipping the batch would acknowledge it
                # unstored, so hold it and retry.
                level = logging.ERROR
                reason = f"{type(error).__name__} (traceback above)"
                self.health.failed(type(error).__name__)
                log.error("recording a batch of %d failed: %s", len(batch), fault_frames(error))
            delay = min(self.retry_delay * 2**attempt, _MAX_BACKOFF)
            log.log(
                level, "batch of %d not stored (%s); retrying in %.1fs", len(batch), reason, delay
            )
            attempt += 1
            await asyncio.sleep(delay)
