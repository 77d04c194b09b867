"""The JetStream stream and durable consumer the hub reads, configured in one place.

The consumer acknowledges cumulatively (``AckPolicy.ALL``): one ack per batch, after the batch
is committed, acknowledges every message up to it. That is safe only while no message past an
uncommitted one is ever acknowledged: batches are recorded and acknowledged strictly in order by
one writer, a failed batch is retried rather than skipped, and at most two batches are in
flight (one being stored while the next is fetched: ``max_ack_pending == 2 * batch_size``).
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
        ack_policy=AckPolicy.ALL,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.ack_wait,
        max_ack_pending=2 * settings.batch_size,
        max_deliver=-1,
    )


def stream_sequence(reply: str) -> int:
    """The stream sequence from a JetStream ack subject, without nats-py's full metadata.

    ``$JS.ACK.<stream>.<consumer>.<delivered>.<stream_seq>.<consumer_seq>.<ts>.<pending>``, or
    the 12-token form with domain and account hash after ``$JS.ACK``.
    """
    tokens = reply.split(".")
    return int(tokens[5] if len(tokens) == 9 else tokens[7])
