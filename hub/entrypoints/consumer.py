"""The hub's FastStream application: one batch subscriber on ``safeguarding.v1.>``.

The handler is thin: it hands the fetched batch to the ordered writer and returns, so the next
batch is fetched while this one is stored. The writer records it in the writer process, then
this module publishes reject notices and acknowledges what was committed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import orjson
from faststream import AckPolicy, Context, FastStream
from faststream.message import StreamMessage
from faststream.nats import NatsBroker, NatsRouter, PullSub
from faststream.nats.message import NatsBatchMessage
from faststream.specification import AsyncAPI
from nats.aio.msg import Msg

import contracts
from hub.adapters import jetstream
from hub.config import Settings
from hub.domain.events import MessageRejected
from hub.domain.intake import Inbound
from hub.entrypoints.ordered import OrderedWriter
from hub.service.ingest import Outcome
from hub.service.recorders import Recorder

log = logging.getLogger("hub.consumer")
BatchMessage = Annotated[NatsBatchMessage, Context("message")]


async def _no_decode(message: StreamMessage[Any]) -> None:
    """The hub validates raw bytes itself; FastStream's per-message JSON decode is skipped."""
    return


def create_broker(settings: Settings, recorder: Recorder, url: str) -> NatsBroker:
    """The broker, its subscriber, and the writer behind it (``broker.writer``)."""
    # Per-batch "Received/Processed" lines are debug detail; rejects are logged at INFO.
    broker = NatsBroker(url, graceful_timeout=30.0, logger=log, log_level=logging.DEBUG)
    writer = OrderedWriter(recorder, _settler(broker, settings), settings.retry_delay)
    router = NatsRouter()

    @router.subscriber(
        contracts.ALL,
        stream=jetstream.stream(settings),
        durable=settings.durable,
        config=jetstream.consumer_config(settings),
        pull_sub=PullSub(settings.batch_size, timeout=settings.batch_timeout, batch=True),
        ack_policy=AckPolicy.MANUAL,
        decoder=_no_decode,
        title="hub-ingest",
        description="Every agency event; the hub validates, links and stores each once.",
    )
    async def ingest_batch(message: BatchMessage) -> None:
        await writer.submit(message.raw_message)

    broker.include_router(router)
    broker.writer = writer  # type: ignore[attr-defined]
    return broker


def create_app(settings: Settings, recorder: Recorder, url: str) -> FastStream:
    broker = create_broker(settings, recorder, url)
    writer: OrderedWriter = broker.writer  # type: ignore[attr-defined]
    return FastStream(
        broker, specification=specification(broker), logger=log, on_shutdown=[writer.close]
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


def _settler(broker: NatsBroker, settings: Settings) -> Any:
    async def settle(messages: list[Msg], batch: list[Inbound], outcome: Outcome) -> None:
        """Tell agencies what was refused, then terminate each reject, redeliver each early
        correction later, and ack each fact and duplicate."""
        for rejection in outcome.rejections:
            log.info(
                "rejected stream message %d on %s: %s",
                rejection.stream_seq,
                rejection.subject,
                rejection.reason,
            )
        # Concurrently: a batch of many rejects must not outlast the messages' ack_wait.
        await asyncio.gather(*(_notify(broker, settings, r) for r in outcome.rejections))
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

    return settle


async def _notify(broker: NatsBroker, settings: Settings, rejection: MessageRejected) -> None:
    """Tell the agency what was refused and why: never the message body."""
    await broker.publish(
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
        stream=settings.stream,
    )
