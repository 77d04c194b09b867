"""``hub web`` alone keeps the projection caught up itself, when no ``hub serve`` (whose
projector process does it) is running: without it, answers would stand still at whatever
the projection last saw."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from hub.errors import fault_frames

log = logging.getLogger("hub.web")
EVERY = 1.0
"""Seconds between catch-ups; one costs under a millisecond when nothing is new."""
AFTER_FAULT = 10.0


async def keep_caught_up(
    catch_up: Callable[[], int], serving: Callable[[], bool], every: float = EVERY
) -> None:
    """Run until cancelled: ``catch_up()`` (on a thread of its own) whenever ``serving()``
    says no ``hub serve`` is running."""
    loop = asyncio.get_running_loop()
    while True:
        pause = every
        try:
            if not await loop.run_in_executor(None, serving):
                applied = await loop.run_in_executor(None, catch_up)
                if applied:
                    log.info("projection caught up: %d facts applied", applied)
        except Exception as error:  # the store down, a fault: answers wait, the web goes on
            log.error("could not catch the projection up: %s", fault_frames(error))
            pause = AFTER_FAULT
        await asyncio.sleep(pause)
