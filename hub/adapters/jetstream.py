"""The JetStream stream and durable consumer the hub reads, configured in one place.

Every message is acknowledged on its own (``AckPolicy.EXPLICIT``), after the batch it came in
is committed. Cumulative acks (``AckPolicy.ALL``, one per batch) were tried and dropped: FastStream
0.7.8's pull loop can lose a partly fetched batch when nats-py raises a plain
``asyncio.TimeoutError`` it does not catch (or on a closed connection), and a later cumulative
ack would then acknowledge those messages unstored. With explicit acks they are redelivered after
``ack_wait``. ``max_ack_pending`` leaves room for such stranded messages beside the two batches
in flight (one stored while the next is fetched).
"""

from __future__ import annotations

from faststream.nats import JStream
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType

import contracts
from hub.config import Settings


def stream(settings: Settings) -> JStream:
    return JStream(
        name=settings.stream,
        subjects=[contracts.ALL],
        storage=StorageType.FILE,
        duplicate_window=settings.duplicate_window,
    )


def consumer_config(settings: Settings) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=settings.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.ack_wait,
        max_ack_pending=4 * settings.batch_size,
        max_deliver=-1,
    )


def delivery(reply: str) -> tuple[int, int]:
    """(stream sequence, times delivered) from a JetStream ack subject, cheaper than nats-py's
    full metadata.

    ``$JS.ACK.<stream>.<consumer>.<delivered>.<stream_seq>.<consumer_seq>.<ts>.<pending>``, or
    the 12-token form with domain and account hash after ``$JS.ACK``.
    """
    tokens = reply.split(".")
    first = 4 if len(tokens) == 9 else 6
    return int(tokens[first + 1]), int(tokens[first])
