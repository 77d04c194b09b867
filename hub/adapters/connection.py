"""The hub's NATS connection: reconnect for ever, and say so once per outage.

nats-py gives up after ``max_reconnect_attempts`` (60 by default, 2 s apart), so an outage of
about two minutes used to leave a closed client and a hub that consumed nothing, silently.
Here the budget is unlimited (``-1``): the client keeps trying every ``reconnect_time_wait``
seconds, and the pull subscription resumes on the same durable consumer once the server is
back. Each loss and each recovery is logged once, not a line per attempt.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("hub.nats")


class ConnectionWatch:
    """nats-py callbacks that log an outage once, and remember whether one is going on."""

    def __init__(self) -> None:
        self.lost_at: float | None = None
        self.lost_since: float | None = None  # the same moment, as wall time, for reports
        self.outages = 0
        self.closing = False  # a disconnect while closing is not an outage

    async def disconnected(self) -> None:
        if self.lost_at is None and not self.closing:
            self.lost_at = time.monotonic()
            self.lost_since = time.time()
            self.outages += 1
            log.warning("lost the NATS connection; reconnecting until it is back (no limit)")

    async def reconnected(self) -> None:
        if self.lost_at is not None:
            log.warning(
                "NATS connection back after %.0fs; consuming again",
                time.monotonic() - self.lost_at,
            )
        self.lost_at = self.lost_since = None

    async def closed(self) -> None:
        log.info("NATS connection closed")

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect`` (and FastStream's ``NatsBroker``)."""
        return {
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 2,
            "disconnected_cb": self.disconnected,
            "reconnected_cb": self.reconnected,
            "closed_cb": self.closed,
        }


async def quiet(error: Exception) -> None:
    """An ``error_cb`` for connections whose caller reports failures itself: nats-py's default
    logs a traceback for every failed attempt."""
