"""Publishing contract events to JetStream as an agency does.

Each event goes on ``safeguarding.v1.<agency>.<event_type>`` with ``Nats-Msg-Id`` set to its
``event_id`` and a digest of its body, so the server drops only a true re-send inside its
duplicate window (the hub drops it after); a re-send of the same ``event_id`` with other content
reaches the hub, which refuses it with its reason ("send record.corrected") instead of the server
swallowing it as a duplicate. Bodies are sent exactly as given: validating them is the hub's job,
and its rejects say why. Only what would put a sender's data into a subject, or cannot be sent
at all, is refused here, before anything is sent: an ``event_type`` that is not a contract type
(it would become a subject token) and a body over ``MAX_BODY_BYTES``.

An agency logs in with its own key (``Bus.seed_file``, an nkey seed the hub's operator issued
with ``hub agencies credentials``) and takes replies on its own inbox (``_INBOX.<agency>``).
The server refuses a publish outside the agency's subjects asynchronously (``-ERR
'Permissions Violation ...'``); the publisher watches for it and fails at once, naming the
agency and the subject, rather than waiting out the acknowledgement's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import orjson
from nats.aio.client import Client

import contracts
from agencies._errors import PublishFailed
from agencies._outgoing import Outgoing

_IN_FLIGHT = 4000
_ACK_TIMEOUT = 30.0
MAX_BODY_BYTES = 1_000_000  # NATS's default max_payload is 1 MiB, headers included


@dataclass(frozen=True)
class Bus:
    """Where, and with what, an agency publishes: the NATS URL, its nkey seed file (None on an
    open server), and a TLS context when the server requires TLS."""

    url: str
    seed_file: Path | None = None
    tls: ssl.SSLContext | None = None

    def options(self, agency: str) -> dict[str, Any]:
        options: dict[str, Any] = {"inbox_prefix": f"_INBOX.{agency}"}
        if self.seed_file is not None:
            options["nkeys_seed"] = str(self.seed_file)
        if self.tls is not None:
            options["tls"] = self.tls
        return options


_VIOLATION = re.compile(r'permissions violation for (publish|subscription) to "([^"]+)"', re.I)


@dataclass(frozen=True)
class PublishReport:
    published: int
    duplicates: int
    refused: tuple[str, ...] = ()  # "line N: reason", for lines not sent


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


def _refusal(line: bytes) -> str | None:
    """Why a line cannot be sent as it is, or None (never quoting the line)."""
    if len(line) > MAX_BODY_BYTES:
        return f"the body is {len(line):,} bytes, over the {MAX_BODY_BYTES:,} NATS takes"
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None  # the hub refuses it, and says why
    event_type = event.get("event_type") if isinstance(event, dict) else None
    if event_type is not None and event_type not in contracts.EVENT_TYPES:
        return "event_type is not a contract type (`hub contracts schema` lists them)"
    return None


async def publish_lines(bus: Bus | str, agency: str, lines: Iterable[bytes]) -> PublishReport:
    """Publish each non-blank line as one event, with many acks in flight."""
    if agency not in contracts.AGENCIES:
        raise ValueError(f"agency must be one of {', '.join(contracts.AGENCIES)}")
    refused: list[str] = []

    def messages() -> Iterable[Outgoing]:
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line:
                continue
            if reason := _refusal(line):
                refused.append(f"line {number}: {reason}; not sent")
                continue
            yield Outgoing(*route(agency, line), line)

    report = await publish(bus, agency, messages())
    return PublishReport(report.published, report.duplicates, tuple(refused))


async def publish(bus: Bus | str, agency: str, messages: Iterable[Outgoing]) -> PublishReport:
    """Publish each message on its subject with its Nats-Msg-Id, in order, awaiting every ack.

    Raises PublishFailed when NATS cannot be reached, refuses the agency or a subject, or does
    not acknowledge a message: the caller must then treat nothing as sent (re-sending is safe:
    the ids are the same).
    """
    bus = Bus(bus) if isinstance(bus, str) else bus
    watch = _Refusals(agency)
    try:
        client = await nats.connect(
            bus.url,
            connect_timeout=5,
            max_reconnect_attempts=1,
            reconnect_time_wait=1,
            error_cb=watch.error,
            closed_cb=watch.closed,
            **bus.options(agency),
        )
        watch.client = client
        # Once connected, reconnect without a budget (nats-py reads the option at each loss;
        # given to connect, it would retry a server that is not there for ever). An ack that
        # does not come in time still fails the publish, so a long outage cannot hang it.
        client.options["max_reconnect_attempts"] = -1
    except (OSError, nats.errors.Error) as error:
        if watch.unauthorised or "authorization violation" in str(error).lower():
            raise PublishFailed(
                f"NATS at {bus.url} refused {agency}'s credentials"
                + (" (none given)" if bus.seed_file is None else f" ({bus.seed_file})")
                + f": revoked, or not {agency}'s; the hub's operator issues them with"
                f" `hub agencies credentials {agency}` (pass them with --creds)"
            ) from None
        raise PublishFailed(f"cannot reach NATS at {bus.url} ({type(error).__name__})") from None
    try:
        js = client.jetstream(publish_async_max_pending=_IN_FLIGHT)
        acked = duplicates = 0  # acks received, and how many of them were for a duplicate
        pending: list[asyncio.Future[nats.js.api.PubAck]] = []
        for message in messages:
            headers = {"Nats-Msg-Id": msg_id(message)}
            pending.append(await js.publish_async(message.subject, message.body, headers=headers))
            if len(pending) >= _IN_FLIGHT:
                d, n = await _settle(pending, watch)
                duplicates, acked = duplicates + d, acked + n
        d, n = await _settle(pending, watch)
        return PublishReport(acked + n - duplicates - d, duplicates + d)
    except nats.js.errors.NoStreamResponseError:
        raise PublishFailed(
            "no JetStream stream captures these subjects: `hub serve` creates it at start and"
            " re-creates it within seconds if it is deleted, so try again shortly; sending the"
            " same events again is safe (an agency the hub does not know has no stream)"
        ) from None
    except (TimeoutError, nats.errors.Error) as error:
        raise PublishFailed(
            f"NATS did not acknowledge every event ({type(error).__name__}); sending the same"
            " events again is safe (the same ids)"
        ) from None
    finally:
        await client.close()


class _Refusals:
    """What the server refused this connection, as it says so (asynchronously)."""

    def __init__(self, agency: str) -> None:
        self.agency = agency
        # Created inside ``publish``, on its loop: what the server refused, once it says so.
        self.refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.unauthorised = False  # the server refused the login itself
        self.client: Client | None = None

    async def closed(self) -> None:
        """nats-py closes a connection whose login is refused after it was made (the key
        revoked mid-publish) without telling ``error``: fail what waits at once."""
        last = self.client.last_error if self.client is not None else None
        if last is not None and "authorization violation" in str(last).lower():
            self.unauthorised = True
            self._refuse(
                f"NATS refused {self.agency}'s credentials while publishing (revoked?): ask the"
                f" hub's operator for new ones (`hub agencies credentials {self.agency} --new`)"
            )

    def _refuse(self, reason: str) -> None:
        if not self.refused.done():
            self.refused.set_result(reason)

    async def error(self, error: Exception) -> None:
        # nats-py lower-cases the server's text, subject included; the subject is ours anyway.
        text = str(error)
        if "authorization violation" in text.lower():
            self.unauthorised = True
            return
        found = _VIOLATION.search(text)
        if found is None:
            return  # connection trouble: reported by the connect or the acks
        if found.group(2).startswith("_inbox."):
            reason = (
                f"NATS refused {self.agency}'s reply inbox: the credentials given are not"
                f" {self.agency}'s"
            )
        else:
            verb = "publish on" if found.group(1).lower() == "publish" else "subscribe to"
            reason = (
                f"NATS refused {self.agency}: it may not {verb} {found.group(2)} (an agency"
                f" publishes only on safeguarding.v1.{self.agency}.>)"
            )
        self._refuse(reason)


def msg_id(message: Outgoing) -> str:
    """The server's duplicate key: the event's id and its body's digest, so that only the same
    bytes again are a duplicate."""
    return f"{message.msg_id}:{hashlib.sha256(message.body).hexdigest()[:32]}"


async def _settle(
    pending: list[asyncio.Future[nats.js.api.PubAck]], watch: _Refusals
) -> tuple[int, int]:
    """Await the acks in flight: how many were for a duplicate, and how many there were."""
    # JetStream's acks carry no timeout of their own: without one, an outage would hang here.
    acks = asyncio.ensure_future(asyncio.wait_for(asyncio.gather(*pending), _ACK_TIMEOUT))
    waiting: set[asyncio.Future[Any]] = {acks, watch.refused}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if watch.refused.done():
        acks.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await acks
        for future in pending:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: nothing left to log "never retrieved"
        raise PublishFailed(watch.refused.result())
    pending.clear()
    results = acks.result()
    return sum(1 for ack in results if ack.duplicate), len(results)
