"""Where the synchronous ingest service runs, off the event loop: the writer's process main.

``WriterProcess`` (the default) keeps the ingest service in a dedicated process, so validation
and storage run on a second core beside the NATS client's event loop. ``WriterThread`` runs
it on a worker thread of this process (one core; simpler to debug). Both record one batch at a
time, in the order given, and build the service with the factory they are given (the
composition root's), so nothing here knows how a store is made.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from hub.adapters.lifetime import die_with_parent
from hub.domain.intake import Inbound
from hub.errors import StoreUnavailable
from hub.service.ingest import IngestService, Outcome

log = logging.getLogger("hub.writer")
BuildIngest = Callable[[], IngestService]


class _ExecutorWriter:
    def __init__(self, executor: Executor, record: Callable[[Sequence[Inbound]], Outcome]) -> None:
        self.executor = executor
        self._record = record

    async def record(self, batch: Sequence[Inbound]) -> Outcome:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._record, batch)


class _Reopening:
    """The ingest service, rebuilt after a store fault: a connection opened while the store
    was read-only (a disk remounted) or unreachable stays broken after the fault clears, so
    the next attempt opens new ones (and reloads the registry) instead of reusing it."""

    def __init__(self, build: BuildIngest) -> None:
        self.build = build
        self.ingest: IngestService | None = None

    def open(self) -> None:
        if self.ingest is None:
            self.ingest = self.build()

    def record(self, batch: Sequence[Inbound]) -> Outcome:
        if self.ingest is None:
            self.open()  # StoreUnavailable while the fault lasts: the batch is retried
            log.warning("the writer reopened its store")
        assert self.ingest is not None
        try:
            return self.ingest.record(batch)
        except StoreUnavailable:
            broken, self.ingest = self.ingest, None
            try:
                broken.store.close()
            except Exception as error:  # closing a broken store may fail too; it is dropped
                log.debug("closing the faulty store: %s", type(error).__name__)
            raise


class WriterThread(_ExecutorWriter):
    restarts = 0  # a thread is never restarted

    def __init__(self, build: BuildIngest) -> None:
        ingest = _Reopening(build)
        ingest.open()  # a bad store setting fails at start, not at the first batch
        super().__init__(_DaemonThread("hub-writer"), ingest.record)

    def close(self, grace: float) -> None:
        """Wait up to ``grace`` for the batch in hand. A thread cannot be stopped: one stuck on
        the store is a daemon, so it does not hold the process's exit; what it was recording
        was never acknowledged, so it is redelivered to the next run."""
        executor = self.executor
        assert isinstance(executor, _DaemonThread)
        executor.shutdown(wait=False, cancel_futures=True)
        executor.thread.join(grace)


class _DaemonThread(Executor):
    """One worker thread that does not hold up the interpreter's exit (the standard
    ThreadPoolExecutor's threads are joined at exit, so a write stuck on a dead store would
    keep a stopping hub alive)."""

    def __init__(self, name: str) -> None:
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None]
        self._work = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._work.put((future, lambda: fn(*args, **kwargs)))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._work.put(None)
        if wait:
            self.thread.join()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as error:
                future.set_exception(error)


class WriterProcess(_ExecutorWriter):
    def __init__(self, build: BuildIngest, log_level: str = "INFO") -> None:
        self.build = build
        self.log_level = log_level
        self.restarts = 0
        super().__init__(self._start(), _record)
        # Open the store now, so a bad store setting fails at start, not at the first batch.
        self.executor.submit(_open).result()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs an event loop and threads that a fork would copy.
        # A restarted writer opens its store at its first batch, so a store still faulty
        # then fails that batch (retried) rather than the pool.
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            1, context, initializer=_start_writer, initargs=(self.build, self.log_level)
        )

    async def record(self, batch: Sequence[Inbound]) -> Outcome:
        try:
            return await super().record(batch)
        except BrokenProcessPool:
            # The writer died (killed, out of memory): nothing of this batch was acknowledged.
            # A new writer reloads its state from the store; the batch is tried again.
            log.error("the writer process died; starting a new one")
            self.executor.shutdown(wait=False)
            self.executor = self._start()
            self.restarts += 1
            raise StoreUnavailable("the writer process died and was restarted") from None

    def close(self, grace: float) -> None:
        """Stop the writer; one still inside a commit after ``grace`` seconds is killed (the
        transaction rolls back, and nothing of it was acknowledged)."""
        executor = self.executor
        assert isinstance(executor, ProcessPoolExecutor)
        processes = list((executor._processes or {}).values())  # None once a pool is shut
        stopping = threading.Thread(
            target=executor.shutdown, kwargs={"cancel_futures": True}, daemon=True
        )
        stopping.start()
        stopping.join(grace)
        if stopping.is_alive():
            log.warning("the writer did not stop within %.1fs: killing it", grace)
            for process in processes:
                process.kill()
            stopping.join(5)


# The writer process's own ingest service (never set in the hub's main process).
_ingest: _Reopening | None = None


def _start_writer(build: BuildIngest, log_level: str) -> None:
    global _ingest
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # A writer without its hub would store batches nobody acknowledges: stop with the hub.
    die_with_parent(signal.SIGKILL)
    # Ctrl-C reaches the whole process group; the hub finishes the queued batch, then stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _ingest = _Reopening(build)
    gc.set_threshold(50_000, 20, 20)


def _open() -> None:
    assert _ingest is not None, "writer not started"
    _ingest.open()
    # The registry and store are long-lived: keep the collector from rescanning them.
    gc.freeze()


def _record(batch: Sequence[Inbound]) -> Outcome:
    assert _ingest is not None, "writer not started"
    return _ingest.record(batch)
