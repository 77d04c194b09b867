"""Probes of nats-server 2.14 / nats-py 2.16 / FastStream 0.7.8 behaviour the hub may rely on.

Each test states one finding as an assertion, against a real nats-server, so an upgrade that
changes it fails here first. They pin what splitting the one ``safeguarding.v1.>`` stream into
agency events and hub notices relies on (``hub/adapters/jetstream.py``). They probe the
libraries, not the hub's permissions, so they run on an open server (no identities).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import nats
import pytest
from faststream import AckPolicy, Context
from faststream.nats import JStream, NatsBroker, NatsRouter, PullSub
from faststream.nats.message import NatsBatchMessage
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, StreamConfig
from nats.js.errors import BadRequestError, NoStreamResponseError

from hub.adapters.embedded_nats import EmbeddedNats
from hub.adapters.pull import ReliableBatchPullStreamSubscriber, use_reliable_pull

WIDE = "safeguarding.v1.>"
AGENCIES = [
    "safeguarding.v1.police.>",
    "safeguarding.v1.local_authority.>",
    "safeguarding.v1.health.>",
    "safeguarding.v1.education.>",
]
NOTICES = ["safeguarding.v1.rejected.>", "safeguarding.v1.notify.>"]
OVERLAP = (
    "nats: BadRequestError: code=400 err_code=10065 "
    "description='subjects overlap with an existing stream'"
)
IN_USE = "stream name already in use with a different configuration"  # err_code 10058
BatchMessage = Annotated[NatsBatchMessage, Context("message")]


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    with EmbeddedNats(tmp_path / "nats") as server:
        yield server


@asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(url)
    try:
        yield connection.jetstream()
    finally:
        await connection.close()


def _broker(
    url: str, stream: JStream, subject: str, config: ConsumerConfig | None = None
) -> tuple[NatsBroker, Any]:
    broker = NatsBroker(url, logger=logging.getLogger("test.probes"))
    router = NatsRouter()
    subscriber = router.subscriber(
        subject,
        stream=stream,
        durable="hub",
        config=config,
        pull_sub=PullSub(10, timeout=0.2, batch=True),
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def handler(message: BatchMessage) -> None:
        for raw in message.raw_message:
            await raw.ack()

    broker.include_router(router)
    return broker, subscriber


async def _drained(js: JetStreamContext, stream: str, timeout: float = 10.0) -> None:
    """Wait until the durable "hub" has every message delivered and acknowledged."""
    for _ in range(int(timeout / 0.05)):
        info = await js.consumer_info(stream, "hub")
        if info.delivered.stream_seq and info.num_pending + info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not drained: {info}")


async def _subjects(js: JetStreamContext, stream: str) -> list[str]:
    return list((await js.stream_info(stream)).config.subjects or ())


# (a) narrowing a stream, and a second stream beside it


async def test_narrowing_keeps_every_message_then_a_notice_stream_fits_beside(
    nats_server: EmbeddedNats,
) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=[WIDE])
        for subject in ("police.x", "health.y", "rejected.police", "notify.z"):
            await js.publish(f"safeguarding.v1.{subject}", b"{}")

        with pytest.raises(BadRequestError) as before:
            await js.add_stream(name="B", subjects=NOTICES)
        assert str(before.value) == OVERLAP
        assert (before.value.code, before.value.err_code) == (400, 10065)

        await js.update_stream(StreamConfig(name="A", subjects=AGENCIES))
        info = await js.stream_info("A", subjects_filter=">")
        assert info.config.subjects == AGENCIES
        # Kept, even those on subjects the stream no longer captures.
        assert (info.state.messages, info.state.first_seq, info.state.last_seq) == (4, 1, 4)
        assert info.state.subjects == {
            "safeguarding.v1.police.x": 1,
            "safeguarding.v1.health.y": 1,
            "safeguarding.v1.rejected.police": 1,
            "safeguarding.v1.notify.z": 1,
        }

        await js.add_stream(name="B", subjects=NOTICES)
        assert (await js.publish("safeguarding.v1.rejected.police", b"{}")).stream == "B"
        assert (await js.publish("safeguarding.v1.police.x", b"{}")).stream == "A"


# (b) consumers on the narrowed stream


async def test_consumer_filters_need_not_be_inside_the_stream_subjects(
    nats_server: EmbeddedNats,
) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=AGENCIES)
        explicit = JsAckPolicy.EXPLICIT
        wide = await js.add_consumer(
            "A", ConsumerConfig(durable_name="wide", filter_subject=WIDE, ack_policy=explicit)
        )
        several = await js.add_consumer(
            "A",
            ConsumerConfig(durable_name="several", filter_subjects=AGENCIES, ack_policy=explicit),
        )
        # Not even one that matches none of the stream's subjects is refused (2.14).
        outside = await js.add_consumer(
            "A",
            ConsumerConfig(durable_name="outside", filter_subject=NOTICES[0], ack_policy=explicit),
        )
    assert wide.config.filter_subject == WIDE
    assert several.config.filter_subjects == AGENCIES and several.config.filter_subject is None
    assert outside.config.filter_subject == NOTICES[0]


async def test_a_wide_durable_survives_narrowing_and_still_delivers_old_notices(
    nats_server: EmbeddedNats,
) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=[WIDE])
        await js.publish("safeguarding.v1.police.x", b"{}")
        await js.publish("safeguarding.v1.rejected.police", b"{}")
        await js.add_consumer(
            "A",
            ConsumerConfig(
                durable_name="hub", filter_subject=WIDE, ack_policy=JsAckPolicy.EXPLICIT
            ),
        )
        await js.update_stream(StreamConfig(name="A", subjects=AGENCIES))
        await js.add_stream(name="B", subjects=NOTICES)
        await js.publish("safeguarding.v1.health.y", b"{}")
        await js.publish("safeguarding.v1.rejected.health", b"{}")  # now stored in B

        assert (await js.consumer_info("A", "hub")).config.filter_subject == WIDE
        # nats-py binds to an existing durable as it is: a new config is not applied.
        pull = await js.pull_subscribe(
            "safeguarding.v1.police.>",
            durable="hub",
            stream="A",
            config=ConsumerConfig(filter_subjects=AGENCIES),
        )
        fetched = await pull.fetch(10, timeout=1)
        assert (await js.consumer_info("A", "hub")).config.filter_subject == WIDE
    assert [m.subject for m in fetched] == [
        "safeguarding.v1.police.x",
        "safeguarding.v1.rejected.police",  # stored before the narrowing: still in A
        "safeguarding.v1.health.y",
    ]


# (c) what FastStream 0.7.8 declares


async def test_faststream_adds_the_subscriber_subject_to_the_jstream_subjects(
    nats_server: EmbeddedNats,
) -> None:
    broker, _ = _broker(nats_server.url, JStream("A", subjects=AGENCIES), WIDE)
    async with broker, jetstream(nats_server.url) as js:
        await broker.start()
        # The subscriber's subject absorbs the four narrower ones.
        assert await _subjects(js, "A") == [WIDE]


async def test_faststream_keeps_a_subject_less_subscriber_with_filter_subjects_narrow(
    nats_server: EmbeddedNats,
) -> None:
    config = ConsumerConfig(filter_subjects=AGENCIES)
    broker, _ = _broker(nats_server.url, JStream("A", subjects=AGENCIES), "", config)
    async with broker, jetstream(nats_server.url) as js:
        await broker.start()
        await js.publish("safeguarding.v1.police.x", b"{}")
        assert await _subjects(js, "A") == AGENCIES
        consumer = (await js.consumer_info("A", "hub")).config
        assert (consumer.filter_subject, consumer.filter_subjects) == (None, AGENCIES)
        await _drained(js, "A")  # and the subscriber gets the agency events


async def test_faststream_merges_an_existing_streams_subjects_and_updates_it(
    nats_server: EmbeddedNats, caplog: pytest.LogCaptureFixture
) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=[WIDE], max_age=3600)
        broker, _ = _broker(
            nats_server.url,
            JStream("A", subjects=AGENCIES),
            "",
            ConsumerConfig(filter_subjects=AGENCIES),
        )
        with caplog.at_level(logging.WARNING, logger="test.probes"):
            async with broker:
                await broker.start()
        info = (await js.stream_info("A")).config
    # add_stream refused (10058, logged at WARNING), so the old subjects were merged in and
    # update_stream called: a narrower declaration never narrows; the rest of the JStream's
    # config replaces the stream's (max_age back to 0).
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"nats: BadRequestError: code=400 err_code=10058 description='{IN_USE}'"
    ]
    assert info.subjects == [WIDE]
    assert info.max_age == 0


async def test_faststream_start_fails_when_its_merged_subjects_overlap_another_stream(
    nats_server: EmbeddedNats,
) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=AGENCIES)
        await js.add_stream(name="B", subjects=NOTICES)
        broker, _ = _broker(nats_server.url, JStream("A", subjects=AGENCIES), WIDE)
        async with broker:
            with pytest.raises(BadRequestError) as raised:
                await broker.start()
        assert str(raised.value) == OVERLAP
        assert await _subjects(js, "A") == AGENCIES


async def test_faststream_leaves_an_undeclared_jstream_alone(nats_server: EmbeddedNats) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=AGENCIES)
        await js.add_stream(name="B", subjects=NOTICES)
        broker, _ = _broker(nats_server.url, JStream("A", declare=False), WIDE)
        async with broker:
            await broker.start()
            assert await _subjects(js, "A") == AGENCIES
            assert (await js.consumer_info("A", "hub")).config.filter_subject == WIDE


# (d) publishing where no stream listens


async def test_js_publish_to_a_subject_no_stream_captures(nats_server: EmbeddedNats) -> None:
    async with jetstream(nats_server.url) as js:
        await js.add_stream(name="A", subjects=AGENCIES)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(NoStreamResponseError) as raised:
            await js.publish("safeguarding.v1.rejected.police", b"{}")
        assert loop.time() - started < 1  # no responders: at once, not after a timeout
        assert str(raised.value) == "nats: no response from stream"
        assert not isinstance(raised.value, TimeoutError | nats.js.errors.APIError)
        # Naming a stream that does not capture the subject is a different error.
        await js.add_stream(name="B", subjects=NOTICES)
        with pytest.raises(BadRequestError) as mismatch:
            await js.publish("safeguarding.v1.rejected.police", b"{}", stream="A")
        assert str(mismatch.value) == (
            "nats: BadRequestError: code=400 err_code=10060 "
            "description='expected stream does not match'"
        )


# The fix, under a real broker


async def test_reliable_pull_subscriber_consumes_under_a_real_broker(
    nats_server: EmbeddedNats,
) -> None:
    broker, subscriber = _broker(nats_server.url, JStream("A", subjects=[WIDE]), WIDE)
    use_reliable_pull(subscriber)
    async with broker, jetstream(nats_server.url) as js:
        await broker.start()
        assert type(subscriber) is ReliableBatchPullStreamSubscriber
        [task] = subscriber.tasks
        assert "ReliableBatchPullStreamSubscriber._consume_pull" in repr(task.get_coro())
        for n in range(25):
            await js.publish(f"safeguarding.v1.police.{n}", b"{}")
        await _drained(js, "A")
