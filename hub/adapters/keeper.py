"""Keeps the hub's streams and durable consumer in place while it serves, and reads how many
events wait for it.

A stream deleted under a running hub (by an operator, or a server that lost its files) used to
stay gone until a restart: publishers were refused (``NoStreamResponseError``) and the hub said
nothing. Every ``check`` re-creates a missing stream or consumer, with the hub's own
configuration, and says so once at ERROR: what the deleted stream held and the hub had not
stored is gone from NATS, and only its agencies can send it again.

A stream whose files are still on the embedded server's disk is not re-created
(``jetstream.StreamUnreadable``: the server cannot read them, most likely a wrong JetStream
key): the check says so once at ERROR, keeps it in ``unreadable`` (a health problem), and
raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nats.js.errors import NotFoundError

from hub.adapters import jetstream
from hub.adapters.bus_login import BusLogin
from hub.adapters.connection import SideConnection
from hub.config import Settings

log = logging.getLogger("hub.nats")


@dataclass(frozen=True)
class Backlog:
    """The hub's consumer as the server sees it."""

    pending: int  # in the stream, not yet delivered to the hub
    ack_pending: int  # delivered, not yet acknowledged (being stored, or deferred)
    redelivered: int


class StreamKeeper:
    """Its own connection (reconnecting for ever, quietly: the consumer's connection reports
    outages), so a check never waits behind the subscriber's fetches."""

    def __init__(self, url: str, settings: Settings, login: BusLogin) -> None:
        self.url = url
        self.settings = settings
        self.login = login
        self.recreated = 0
        self.unreadable: str | None = None  # why a stream's files cannot be read, while so
        self._connection = SideConnection(url, login, "hub-keeper")

    async def check(self) -> Backlog:
        """Re-create what is missing, then read the consumer's backlog. Raises nats-py's
        errors while NATS cannot be reached."""
        js = (await self._connection.client()).jetstream()
        try:
            created = await jetstream.ensure_streams(js, self.settings)
        except jetstream.StreamUnreadable as error:
            if self.unreadable is None:
                log.error("%s", error)
            self.unreadable = str(error)
            raise
        self.unreadable = None
        for name in created:
            self.recreated += 1
            log.error(
                "stream %s was missing (deleted?): re-created it; events it held that were not"
                " stored yet are gone from NATS, and publishers were refused while it was gone",
                name,
            )
        settings = self.settings
        try:
            info = await js.consumer_info(settings.stream, settings.durable)
        except NotFoundError:
            info = await js.add_consumer(settings.stream, jetstream.consumer_config(settings))
            self.recreated += 1
            log.error(
                "the hub's consumer %s on %s was missing: re-created it; consuming again",
                settings.durable,
                settings.stream,
            )
        return Backlog(info.num_pending or 0, info.num_ack_pending or 0, info.num_redelivered or 0)

    async def close(self) -> None:
        await self._connection.close()
