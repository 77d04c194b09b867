"""Records batches in arrival order and acknowledges each only after it is committed.

The subscriber hands a batch over and goes back to fetching, so the next batch arrives while
this one is stored. One task records batches in the order they arrived, so a fact never lands
before an earlier message about the same record (a correction after its target); a batch that
fails is retried in place, holding back everything after it, rather than skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg

from hub.adapters.jetstream import delivery
from hub.domain.intake import Inbound
from hub.errors import StoreUnavailable
from hub.service.ingest import Outcome
from hub.service.recorders import Recorder

log = logging.getLogger("hub.consumer")
_MAX_BACKOFF = 30.0

Settle = Callable[[list[Msg], list[Inbound], Outcome], Awaitable[None]]


class OrderedWriter:
    """A queue of fetched batches, drained by one task that records, then settles, each."""

    def __init__(self, recorder: Recorder, settle: Settle, retry_delay: float, depth: int = 1):
        self.recorder = recorder
        self.settle = settle
        self.retry_delay = retry_delay
        self._queue: asyncio.Queue[tuple[list[Msg], list[Inbound]]] = asyncio.Queue(depth)
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def submit(self, messages: list[Msg]) -> None:
        """Queue a fetched batch; waits while the writer is a batch behind (back-pressure)."""
        if self._closing:
            return  # not acknowledged: the server redelivers it to the next run
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="hub-writer")
        batch = [Inbound(m.subject, m.data, *delivery(m.reply)) for m in messages]
        await self._queue.put((messages, batch))

    async def close(self) -> None:
        """Finish and acknowledge what is queued, then stop."""
        self._closing = True
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            messages, batch = await self._queue.get()
            try:
                outcome = await self._record(batch)
                try:
                    await self.settle(messages, batch, outcome)
                except Exception:
                    # Stored already: a lost ack means a redelivery, which is a duplicate.
                    log.exception("batch of %d stored but not acknowledged", len(batch))
            finally:
                self._queue.task_done()

    async def _record(self, batch: list[Inbound]) -> Outcome:
        attempt = 0
        while True:
            try:
                return await self.recorder.record(batch)
            except StoreUnavailable as error:
                level = logging.WARNING
                reason = str(error)
            except Exception as error:
                # Not a bad message (those become rejects): a fault in the hub or its store.
                # Skipping the batch would acknowledge it unstored, so hold it and retry.
                level = logging.ERROR
                reason = f"{type(error).__name__} (traceback above)"
                log.exception("recording a batch of %d failed", len(batch))
            delay = min(self.retry_delay * 2**attempt, _MAX_BACKOFF)
            log.log(
                level, "batch of %d not stored (%s); retrying in %.1fs", len(batch), reason, delay
            )
            attempt += 1
            await asyncio.sleep(delay)
