"""Where the synchronous event store runs, off the event loop.

``ProcessRecorder`` (the default) keeps the ingest service in a dedicated writer process, so
validation and storage run on a second core in parallel with the NATS client's event loop.
``ThreadRecorder`` runs it on a worker thread of this process (one core; simpler to debug).
Both record one batch at a time, in the order given.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from hub.adapters.lifetime import die_with_parent
from hub.config import Settings
from hub.domain.intake import Inbound
from hub.errors import StoreUnavailable
from hub.service.ingest import IngestService, Outcome


class Recorder(Protocol):
    async def record(self, batch: Sequence[Inbound]) -> Outcome: ...

    def close(self) -> None: ...


class _ExecutorRecorder:
    def __init__(self, executor: Executor, record: Callable[[Sequence[Inbound]], Outcome]) -> None:
        self.executor = executor
        self._record = record

    async def record(self, batch: Sequence[Inbound]) -> Outcome:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._record, batch)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class ThreadRecorder(_ExecutorRecorder):
    def __init__(self, ingest: IngestService) -> None:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-writer")
        super().__init__(executor, ingest.record)


class ProcessRecorder(_ExecutorRecorder):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__(self._start(), _record)

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs an event loop and threads that a fork would copy.
        context = multiprocessing.get_context("spawn")
        executor = ProcessPoolExecutor(
            1, context, initializer=_start_writer, initargs=(self.settings,)
        )
        # Start the writer now, so a bad store setting fails at start, not at the first batch.
        executor.submit(_ready).result()
        return executor

    async def record(self, batch: Sequence[Inbound]) -> Outcome:
        try:
            return await super().record(batch)
        except BrokenProcessPool:
            # The writer died (killed, out of memory): nothing of this batch was acknowledged.
            # A new writer reloads its state from the store; the batch is tried again.
            self.executor.shutdown(wait=False)
            self.executor = await asyncio.get_running_loop().run_in_executor(None, self._start)
            raise StoreUnavailable("the writer process died and was restarted") from None


# The writer process's own ingest service (never set in the hub's main process).
_ingest: IngestService | None = None


def _start_writer(settings: Settings) -> None:
    global _ingest
    from hub.bootstrap import build_ingest

    # A writer without its hub would store batches nobody acknowledges: stop with the hub.
    die_with_parent(signal.SIGKILL)
    # Ctrl-C reaches the whole process group; the hub finishes the queued batch, then stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _ingest = build_ingest(settings)
    # The registry and store are long-lived: keep the collector from rescanning them.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _ready() -> bool:
    return _ingest is not None


def _record(batch: Sequence[Inbound]) -> Outcome:
    assert _ingest is not None, "writer not started"
    return _ingest.record(batch)
