"""The projector's process main while ``hub serve`` runs: it keeps the projection caught up,
so ``hub foi`` answers from it without waiting (it still catches up the last few facts).

A projector that dies (killed, out of memory, a store it cannot open) is started again by
``SupervisedProjector.check``, which ``hub serve`` calls every few seconds, and the death is
logged; one that keeps failing is restarted less often (up to once a minute). A projector that
cannot catch up for a while exits on its own (``GIVE_UP_AFTER``), so its restart opens new
connections: one opened while a disk was read-only stays read-only after the fault clears.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from hub.adapters.lifetime import die_with_parent
from hub.errors import fault_frames
from hub.feed import FactFeed
from projections import ProjectionStore, follow

log = logging.getLogger("hub.projections")
BuildProjector = Callable[[], tuple[FactFeed, ProjectionStore]]
GIVE_UP_AFTER = 6
"""Failed catch-ups in a row (about half a minute) after which the projector exits, so that
``hub serve`` starts a new one on new connections."""
_MAX_BACKOFF = 60.0


class ProjectorProcess:
    """Runs ``projections.follow`` in its own process, on what ``build`` gives it."""

    def __init__(self, build: BuildProjector, every: float, log_level: str) -> None:
        # spawn, not fork: the parent runs an event loop and threads that a fork would copy.
        context = multiprocessing.get_context("spawn")
        self.process = context.Process(
            target=_main, args=(build, every, log_level), name="hub-projector", daemon=True
        )
        self.process.start()

    def close(self, grace: float = 5.0) -> None:
        """Stop it; one still inside a page after ``grace`` seconds is killed (the page's
        transaction rolls back and is applied again next time)."""
        self.process.terminate()
        self.process.join(timeout=grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class SupervisedProjector:
    """A ``ProjectorProcess`` that is started again when it dies."""

    def __init__(self, build: BuildProjector, every: float, log_level: str) -> None:
        self._start = functools.partial(ProjectorProcess, build, every, log_level)
        self.current = self._start()
        self.restarts = 0
        self._failures = 0  # deaths in a row, each within a minute of its start
        self._started_at = time.monotonic()
        self._died_at: float | None = None
        self._next_start = 0.0

    @property
    def alive(self) -> bool:
        return self.current.process.is_alive()

    def check(self) -> None:
        """Start a new projector if this one has died: at once the first time, then, if it
        keeps dying within a minute of its start, after 2 s, 4 s, ... up to a minute."""
        if self.alive:
            return
        now = time.monotonic()
        if self._died_at is None:  # first seen dead: how long did it live?
            self._died_at = now
            lived = now - self._started_at
            self._failures = 0 if lived > _MAX_BACKOFF else self._failures + 1
            pause = 0.0 if self._failures <= 1 else min(2.0 ** (self._failures - 1), _MAX_BACKOFF)
            self._next_start = now + pause
            log.error(
                "the projector process stopped (exit code %s); starting a new one%s",
                self.current.process.exitcode,
                f" in {pause:.0f}s" if pause else "",
            )
        if now < self._next_start:
            return
        self.current = self._start()
        self._started_at = now
        self._died_at = None
        self.restarts += 1

    def close(self, grace: float = 5.0) -> None:
        self.current.close(grace)


def _main(build: BuildProjector, every: float, log_level: str) -> None:
    die_with_parent(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the hub stops us with SIGTERM
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        feed, store = build()
        follow(feed, store, stop, every, give_up_after=GIVE_UP_AFTER)
    except Exception as error:
        # The text may quote the store's settings or a fact: the type and frames only.
        log.error("the projector stopped on a fault: %s", fault_frames(error))
        sys.exit(3)
