"""The JetStream streams and the durable consumer the hub reads, configured in one place.

Two streams, so the hub never reads what it writes:

- ``HUB_STREAM`` (``SAFEGUARDING``) holds the agencies' events, one subject space per known
  agency (``safeguarding.v1.<agency>.>``); the hub's durable consumer reads it;
- ``<HUB_STREAM>_NOTICES`` holds what the hub tells agencies: reject notices on
  ``safeguarding.v1.rejected.<agency>`` (and the notifications of ``safeguarding.v1.notify.>``).

A store first served by an older hub has one stream on ``safeguarding.v1.>`` holding both;
``declare_streams`` narrows it to the agencies' subjects before the notices stream is added
(NATS refuses streams whose subjects overlap); its old notices stay in it and the intake passes
them over. A publish on a subject no stream captures (an unknown agency) is refused at once:
the publisher gets "no responders", not a silent loss. Once the notices stream exists, a hub
older than this one cannot start against that NATS (FastStream would add ``safeguarding.v1.>``
back, which overlaps it): to roll back, delete ``<HUB_STREAM>_NOTICES`` first.

Each stream keeps a message only as long as the hub needs it (``max_age``: the events stream
``HUB_STREAM_MAX_AGE``, 7 days, long enough to outlast the duplicate and redelivery windows and
an outage of the hub; the notices stream ``HUB_NOTICES_MAX_AGE``, 30 days), set when a stream is
created and brought back to the setting on an existing one.

A stream the server does not show is re-created, unless its files are still on the embedded
server's disk: that is a server that cannot read them (a JetStream key other than the one they
were written with), and an empty stream made over them would hide what they hold
(``StreamUnreadable``). A stream deleted through the API leaves no files.

Every message is acknowledged on its own (``AckPolicy.EXPLICIT``), after the batch it came in
is committed, so a message fetched but not stored is redelivered after ``ack_wait``.
``max_ack_pending`` leaves room for two batches in flight (one stored while the next is
fetched) and for messages stranded by a dropped connection.
"""

from __future__ import annotations

import logging
from pathlib import Path

import nats
from faststream.nats import JStream
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

import contracts
from hub.adapters import nats_config
from hub.adapters.bus_login import BusLogin
from hub.adapters.connection import quiet
from hub.config import Settings
from hub.errors import ConfigurationError

log = logging.getLogger("hub.consumer")


class StreamUnreadable(ConfigurationError):
    """A stream's files are on disk but the server does not show the stream."""

    def __init__(self, name: str, files: Path) -> None:
        super().__init__(
            f"stream {name} is not shown by nats-server, but its files are in {files}: most"
            " likely the JetStream key is not the one they were written with (HUB_JETSTREAM_KEY"
            "_FILE; give the old one as HUB_JETSTREAM_PREVIOUS_KEY_FILE). The hub does not make"
            " an empty stream over them"
        )
        self.name = name


def stream_files(settings: Settings, name: str) -> Path | None:
    """The folder of the embedded server's files for stream ``name``, if it is on disk."""
    root = settings.jetstream_files
    if root is None:
        return None
    for meta in root.glob(f"*/streams/{name}/meta.inf"):  # one account folder: HUB (or $G)
        return meta.parent
    return None


def event_subjects() -> list[str]:
    return [contracts.subject_for(agency, ">") for agency in contracts.AGENCIES]


def notice_subjects() -> list[str]:
    return [contracts.rejected_subject(">"), f"{contracts.ALL[:-1]}notify.>"]


def notices_stream(settings: Settings) -> str:
    return f"{settings.stream}_NOTICES"


def stream(settings: Settings) -> JStream:
    """The events stream, for FastStream's subscriber; declared by ``declare_streams``
    (FastStream's own declaration only ever adds subjects, so it cannot narrow an old one)."""
    return JStream(name=settings.stream, declare=False)


async def declare_streams(url: str, settings: Settings, login: BusLogin) -> None:
    """Create or bring up to date both streams, events first, and each agency's notices
    consumer."""
    try:
        client = await nats.connect(
            url, connect_timeout=5, max_reconnect_attempts=2, error_cb=quiet, **login.options()
        )
    except (OSError, TimeoutError, nats.errors.Error) as error:
        if "authorization violation" in str(error).lower():
            raise ConfigurationError(
                f"NATS at {url} refused the hub's credentials: set HUB_NATS_CREDS to the hub's"
                " seed file (hub nats-config writes the server's configuration for it)"
            ) from None
        raise ConfigurationError(
            f"cannot reach NATS at {url} ({type(error).__name__}): check HUB_NATS_URL, or leave"
            " it unset for the hub's own nats-server"
        ) from None
    try:
        await ensure_streams(client.jetstream(), settings)
    finally:
        await client.close()


async def ensure_streams(js: JetStreamContext, settings: Settings) -> list[str]:
    """Create either stream that is missing, or bring its subjects, duplicate window and age
    limit up to date; return the names of those created. Raises ``StreamUnreadable`` rather
    than create a stream whose files are on disk."""
    created = []
    for name, subjects, max_age in (
        (settings.stream, event_subjects(), settings.stream_max_age),
        (notices_stream(settings), notice_subjects(), settings.notices_max_age),
    ):
        try:
            held = (await js.stream_info(name)).config
        except NotFoundError:
            files = stream_files(settings, name)
            if files is not None:
                raise StreamUnreadable(name, files) from None
            await js.add_stream(
                StreamConfig(
                    name=name,
                    subjects=subjects,
                    storage=StorageType.FILE,
                    duplicate_window=settings.duplicate_window,
                    max_age=max_age,
                )
            )
            created.append(name)
            continue
        if (
            sorted(held.subjects or ()) != sorted(subjects)
            or held.duplicate_window != settings.duplicate_window
            or abs((held.max_age or 0) - max_age) > 0.001
        ):
            # Only what the hub owns changes: other limits and replicas an operator set stay.
            log.info("updating stream %s to subjects %s, max age %gs", name, subjects, max_age)
            held.subjects = subjects
            held.duplicate_window = settings.duplicate_window
            held.max_age = max_age
            await js.update_stream(held)
    notices = notices_stream(settings)
    for agency in contracts.AGENCIES:
        wanted = notices_consumer_config(agency)
        try:
            held = (await js.consumer_info(notices, nats_config.notices_consumer(agency))).config
        except NotFoundError:
            await js.add_consumer(notices, wanted)
            continue
        if sorted(held.filter_subjects or [held.filter_subject or ""]) != sorted(
            wanted.filter_subjects or ()
        ):
            # Whatever changed it, an agency's consumer shows that agency's notices only.
            log.warning("resetting %s's notices consumer to its own subjects", agency)
            await js.add_consumer(notices, wanted)
    return created


def notices_consumer_config(agency: str) -> ConsumerConfig:
    """What an agency reads of the notices stream: its own rejects and notifications, from
    a durable the hub creates (an agency may pull from it and acknowledge, nothing more)."""
    return ConsumerConfig(
        durable_name=nats_config.notices_consumer(agency),
        filter_subjects=[
            contracts.rejected_subject(agency),
            f"{contracts.ALL[:-1]}notify.{agency}.>",
        ],
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=-1,
    )


def consumer_config(settings: Settings) -> ConsumerConfig:
    """The hub's durable, as its subscriber creates it (filtered on ``safeguarding.v1.>``)."""
    return ConsumerConfig(
        durable_name=settings.durable,
        filter_subject=contracts.ALL,
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
