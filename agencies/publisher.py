"""Publishing contract events to JetStream as an agency does.

Each event goes on ``safeguarding.v1.<agency>.<event_type>`` with ``Nats-Msg-Id`` set to its
``event_id``, so the server drops a re-send inside its duplicate window (the hub drops it after).
Bodies are sent exactly as given: validating them is the hub's job, and its rejects say why.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import nats
import orjson

import contracts
from agencies._errors import PublishFailed
from agencies._outgoing import Outgoing

_IN_FLIGHT = 4000


@dataclass(frozen=True)
class PublishReport:
    published: int
    duplicates: int


def route(agency: str, line: bytes) -> tuple[str, str]:
    """The subject and message id for one line: from its event_type and event_id if it has them."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        event = None
    if not isinstance(event, dict):
        event = {}
    event_type = event.get("event_type")
    event_id = event.get("event_id")
    subject = contracts.subject_for(
        agency, event_type if isinstance(event_type, str) and event_type else "unknown"
    )
    if not isinstance(event_id, str) or not event_id:
        event_id = hashlib.sha256(line).hexdigest()
    return subject, event_id


async def publish_lines(url: str, agency: str, lines: Iterable[bytes]) -> PublishReport:
    """Publish each non-blank line as one event, with many acks in flight."""
    if agency not in contracts.AGENCIES:
        raise ValueError(f"agency must be one of {', '.join(contracts.AGENCIES)}")
    messages = (
        Outgoing(*route(agency, line), line) for line in (raw.strip() for raw in lines) if line
    )
    return await publish(url, messages)


async def publish(url: str, messages: Iterable[Outgoing]) -> PublishReport:
    """Publish each message on its subject with its Nats-Msg-Id, in order, awaiting every ack.

    Raises PublishFailed when NATS cannot be reached or does not acknowledge a message: the
    caller must then treat nothing as sent (re-sending is safe: the ids are the same).
    """
    try:
        client = await nats.connect(
            url, connect_timeout=5, max_reconnect_attempts=1, reconnect_time_wait=0.5
        )
    except (OSError, nats.errors.Error) as error:
        raise PublishFailed(f"cannot reach NATS at {url} ({type(error).__name__})") from None
    try:
        js = client.jetstream(publish_async_max_pending=_IN_FLIGHT)
        acked = duplicates = 0  # acks received, and how many of them were for a duplicate
        pending: list[asyncio.Future[nats.js.api.PubAck]] = []
        for message in messages:
            headers = {"Nats-Msg-Id": message.msg_id}
            pending.append(await js.publish_async(message.subject, message.body, headers=headers))
            if len(pending) >= _IN_FLIGHT:
                d, n = await _settle(pending)
                duplicates, acked = duplicates + d, acked + n
        d, n = await _settle(pending)
        return PublishReport(acked + n - duplicates - d, duplicates + d)
    except nats.js.errors.NoStreamResponseError:
        raise PublishFailed(
            "no JetStream stream captures these subjects: start `hub serve` once to create it"
            " (an agency it does not know has no stream)"
        ) from None
    except (TimeoutError, nats.errors.Error) as error:
        raise PublishFailed(
            f"NATS did not acknowledge every event ({type(error).__name__}); sending the same"
            " events again is safe (the same ids)"
        ) from None
    finally:
        await client.close()


async def _settle(pending: list[asyncio.Future[nats.js.api.PubAck]]) -> tuple[int, int]:
    """Await the acks in flight: how many were for a duplicate, and how many there were."""
    acks = await asyncio.gather(*pending)
    pending.clear()
    return sum(1 for ack in acks if ack.duplicate), len(acks)
