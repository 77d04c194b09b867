"""The projector's process main while ``hub serve`` runs: it keeps the projection caught up,
so ``hub foi`` answers from it without waiting (it still catches up the last few facts)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from types import FrameType

from hub.adapters.lifetime import die_with_parent
from hub.feed import FactFeed
from projections import ProjectionStore, follow


class ProjectorProcess:
    """Runs ``projections.follow`` in its own process, on what ``build`` gives it."""

    def __init__(
        self,
        build: Callable[[], tuple[FactFeed, ProjectionStore]],
        every: float,
        log_level: str,
    ) -> None:
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


def _main(
    build: Callable[[], tuple[FactFeed, ProjectionStore]], every: float, log_level: str
) -> None:
    die_with_parent(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the hub stops us with SIGTERM
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    feed, store = build()
    follow(feed, store, stop, every)
