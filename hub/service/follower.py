"""The projector's own process while ``hub serve`` runs: it keeps the projection caught up,
so ``hub foi`` answers from it without waiting (it still catches up the last few facts)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from types import FrameType

from hub.adapters.lifetime import die_with_parent
from hub.config import Settings


class Follower:
    def __init__(self, settings: Settings) -> None:
        # spawn, not fork: the parent runs an event loop and threads that a fork would copy.
        context = multiprocessing.get_context("spawn")
        self.process = context.Process(
            target=_follow, args=(settings,), name="hub-projector", daemon=True
        )
        self.process.start()

    def close(self) -> None:
        self.process.terminate()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()


def _follow(settings: Settings) -> None:
    from hub.bootstrap import build_application, build_projection
    from projections import follow

    die_with_parent(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the hub stops us with SIGTERM
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    follow(build_application(settings), build_projection(settings), stop, settings.follow_interval)
