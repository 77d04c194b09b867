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

import nats
from nats.aio.client import Client

from hub.adapters.bus_login import BusLogin

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


class SideConnection:
    """A connection of the hub's own for a task beside the consumer (the stream keeper, the
    notifier), so it never waits behind the subscriber's fetches. The first connect has a
    budget (during an outage it fails, and the task tries again); once connected it reconnects
    for ever, quietly: the consumer's connection reports outages."""

    def __init__(self, url: str, login: BusLogin, name: str) -> None:
        self.url = url
        self.login = login
        self.name = name
        self._client: Client | None = None

    async def client(self) -> Client:
        if self._client is None or self._client.is_closed:
            client = await nats.connect(
                self.url,
                connect_timeout=5,
                max_reconnect_attempts=1,
                reconnect_time_wait=2,
                error_cb=quiet,
                name=self.name,
                **self.login.options(),
            )
            client.options["max_reconnect_attempts"] = -1
            self._client = client
        return self._client

    async def close(self) -> None:
        if self._client is not None and not self._client.is_closed:
            await self._client.close()
