"""Publishes the hub's notifications to agencies on the notices stream
(``hub.service.notifications.Publish``).

Its own NATS connection, logged in as the hub (as ``StreamKeeper``'s), reconnecting for ever
and quietly: the consumer's connection reports outages. Each publish waits for JetStream's
acknowledgement (a duplicate, the same ``Nats-Msg-Id`` inside the duplicate window, is one
too: the first copy is stored) and raises when there is none, so the Notifier keeps the
notification in its outbox and tries again.
"""

from __future__ import annotations

from hub.adapters import jetstream
from hub.adapters.bus_login import BusLogin
from hub.adapters.connection import SideConnection
from hub.config import Settings

PUBLISH_TIMEOUT = 5.0


class JetStreamPublisher:
    def __init__(self, url: str, settings: Settings, login: BusLogin) -> None:
        self.url = url
        self.stream = jetstream.notices_stream(settings)
        self._connection = SideConnection(url, login, "hub-notifier")

    async def __call__(self, subject: str, body: bytes, msg_id: str) -> None:
        js = (await self._connection.client()).jetstream()
        await js.publish(
            subject,
            body,
            timeout=PUBLISH_TIMEOUT,
            stream=self.stream,
            headers={"Nats-Msg-Id": msg_id},
        )

    async def close(self) -> None:
        await self._connection.close()


__all__ = ["JetStreamPublisher"]
