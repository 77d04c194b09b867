"""The hub's FastStream application: one batch subscriber on the events stream (its filter is
``safeguarding.v1.>``; the stream itself captures only the agencies' subjects).

The handler is thin: it hands the fetched batch to the ordered writer and returns, so the next
batch is fetched while this one is stored. The writer records it in the writer process, then
``Consumer._settle`` publishes reject notices and acknowledges what was committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated, Any

import nats.errors
import orjson
from faststream import AckPolicy, Context, FastStream
from faststream.message import StreamMessage
from faststream.nats import NatsBroker, NatsRouter, PullSub
from faststream.nats.message import NatsBatchMessage
from faststream.specification import AsyncAPI
from nats.aio.msg import Msg

import contracts
from hub.adapters import jetstream
from hub.adapters.bus_login import BusLogin
from hub.adapters.connection import ConnectionWatch
from hub.adapters.pull import use_reliable_pull
from hub.config import Settings
from hub.domain.events import MessageRejected
from hub.domain.intake import Inbound
from hub.service.ingest import Outcome
from hub.service.ordered import OrderedWriter, Recorder

log = logging.getLogger("hub.consumer")
BatchMessage = Annotated[NatsBatchMessage, Context("message")]


async def _no_decode(message: StreamMessage[Any]) -> None:
    """The hub validates raw bytes itself; FastStream's per-message JSON decode is skipped."""
    return


class _Broker(NatsBroker):
    """FastStream's NATS broker, able to stop while NATS is away: it drains the connection,
    which nats-py refuses while reconnecting (``ConnectionReconnectingError``, a traceback and
    a failed exit for a hub told to stop during an outage). Then there is nothing in flight to
    drain; what was fetched and not acknowledged is redelivered, so closing is safe. nats-py
    2.16's ``close`` then flushes commands queued during the outage to the dead socket and
    raises ``ConnectionResetError`` after it has stopped its tasks: that is ignored."""

    async def stop(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().stop(*args, **kwargs)
        except (nats.errors.ConnectionReconnectingError, nats.errors.ConnectionClosedError):
            connection, self._connection = self._connection, None
            if connection is not None:
                with contextlib.suppress(OSError):
                    await connection.close()
            self.config.disconnect()


class Consumer:
    """The hub's NATS side: the broker, its one batch subscriber, and the ordered writer
    behind it, which records each batch and then settles its messages."""

    def __init__(self, settings: Settings, recorder: Recorder, url: str, login: BusLogin) -> None:
        self.settings = settings
        self.url = url
        self.login = login
        # Per-batch "Received/Processed" lines are debug detail; rejects are logged at INFO.
        self.connection = ConnectionWatch()
        self.broker = _Broker(
            url,
            graceful_timeout=30.0,
            logger=log,
            log_level=logging.DEBUG,
            **self.connection.options(),
            **login.broker_options(),
        )
        self.writer = OrderedWriter[Msg](
            recorder, self._settle, settings.retry_delay, settings.shutdown_grace
        )
        router = NatsRouter()
        subscriber = router.subscriber(
            contracts.ALL,
            stream=jetstream.stream(settings),
            durable=settings.durable,
            config=jetstream.consumer_config(settings),
            pull_sub=PullSub(settings.batch_size, timeout=settings.batch_timeout, batch=True),
            ack_policy=AckPolicy.MANUAL,
            decoder=_no_decode,
            inbox_prefix=login.subscriber_inbox,
            title="hub-ingest",
            description="Every agency event; the hub validates, links and stores each once.",
        )
        use_reliable_pull(subscriber)
        subscriber(self._ingest_batch)
        self.broker.include_router(router)

    async def _ingest_batch(self, message: BatchMessage) -> None:
        messages: list[Msg] = message.raw_message
        batch = [Inbound(m.subject, m.data, *jetstream.delivery(m.reply)) for m in messages]
        await self.writer.submit(messages, batch)

    async def start(self) -> None:
        await jetstream.declare_streams(self.url, self.settings, self.login)
        await self.broker.start()

    async def stop(self) -> None:
        """Settle what is queued (within the grace period), then disconnect."""
        await self.writer.close()
        self.connection.closing = True
        await self.broker.stop()

    def app(self) -> FastStream:
        """The FastStream application ``hub serve`` runs until SIGINT/SIGTERM. The caller
        declares the streams first (``hub serve`` does, before it tells clients where NATS is)."""
        return FastStream(
            self.broker,
            specification=specification(self.broker),
            logger=log,
            on_shutdown=[self.writer.close, self._closing],
        )

    async def _closing(self) -> None:
        self.connection.closing = True

    async def _settle(self, messages: list[Msg], batch: list[Inbound], outcome: Outcome) -> None:
        """Tell agencies what was refused, then terminate each reject, redeliver each early
        correction later, and ack each fact and duplicate."""
        settings = self.settings
        for rejection in outcome.rejections:
            log.info(
                "rejected stream message %d on %s: %s",
                rejection.stream_seq,
                rejection.subject,
                rejection.reason,
            )
        try:
            # Concurrently: a batch of many rejects must not outlast the messages' ack_wait.
            await asyncio.gather(*(self._notify(r) for r in outcome.rejections))
        except (nats.errors.Error, TimeoutError, OSError) as error:
            # NATS went away (an outage): nothing of the batch is acknowledged, so all of it is
            # redelivered; what was stored is then a duplicate, and each reject is refused and
            # notified again (the notice's Nats-Msg-Id keeps it once).
            log.warning(
                "batch of %d stored, but NATS went away before its reject notices were sent"
                " (%s): it will be redelivered, and recognised as stored",
                len(batch),
                type(error).__name__,
            )
            return
        rejected = {rejection.stream_seq for rejection in outcome.rejections}
        deferred = set(outcome.deferred)
        for message, inbound in zip(messages, batch, strict=True):
            if inbound.stream_seq in deferred:
                log.info(
                    "stream message %d on %s corrects a record not held yet; "
                    "retrying in %.0fs (delivery %d of %d)",
                    inbound.stream_seq,
                    inbound.subject,
                    settings.ack_wait,
                    inbound.delivered,
                    settings.target_retries + 1,
                )
                await message.nak(delay=settings.ack_wait)
            elif inbound.stream_seq in rejected:
                await message.term()
            else:
                await message.ack()

    async def _notify(self, rejection: MessageRejected) -> None:
        """Tell the agency what was refused and why: never the message body. On the notices
        stream, which the hub's own consumer does not read."""
        await self.broker.publish(
            orjson.dumps(
                {
                    "subject": rejection.subject,
                    "stream_seq": rejection.stream_seq,
                    "event_id": rejection.event_id,
                    "reason": rejection.reason,
                    "rejected_at": rejection.timestamp.isoformat(),
                }
            ),
            contracts.rejected_subject(rejection.agency),
            headers={"Nats-Msg-Id": str(rejection.originator_id)},
            stream=jetstream.notices_stream(self.settings),
        )


def specification(broker: NatsBroker) -> AsyncAPI:
    _document_contract(broker)
    return AsyncAPI(
        broker,
        title="Safeguarding information-sharing hub",
        version="1",
        description="Agency events in (safeguarding.v1.<agency>.<type>), reject notices out.",
    )


def _document_contract(broker: NatsBroker) -> None:
    """Declare each agency's subjects as publishers, so the AsyncAPI document lists them."""
    for event_type, model in sorted(contracts.EVENT_TYPES.items()):
        for agency in model.publishers or contracts.AGENCIES:
            broker.publisher(
                contracts.subject_for(agency, event_type),
                schema=model,
                title=f"{agency}:{event_type}",
                description=(model.__doc__ or event_type).strip(),
            )
    for agency in contracts.AGENCIES:
        broker.publisher(
            contracts.rejected_subject(agency),
            title=f"rejected:{agency}",
            description="Messages the hub refused, with the reason (no child identifiers).",
        )
