"""Whether ingest is flowing: what ``hub serve`` reports about itself, and the one definition of
"healthy" that ``hub status --check`` (and a supervisor) acts on.

``hub serve`` writes a ``Report`` every few seconds; ``problems`` reads one. A report is plain
data (counts, times, types of fault), never a message's content, so it may sit on disk and be
shown to an operator.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

REPORT_EVERY = 2.0
"""Seconds between reports while ``hub serve`` runs."""
STALE_AFTER = 30.0
"""A report older than this means the hub is stuck (or gone without removing it)."""
FAILING_AFTER = 10.0
"""A batch the store has not taken after this long (refused, or stuck on a lock) is a fault,
not a blip: a batch of a thousand is stored in well under a second."""
STALLED_AFTER = 60.0
"""Events waiting, none stored for this long: ingest is not flowing."""
UNPUBLISHED_AFTER = 60.0
"""Notifications JetStream has not acknowledged for this long: agencies are not being told."""


@dataclass
class IngestHealth:
    """Kept by the ordered writer: when a batch was last stored, and since when the batch in
    hand has waited for the store (and the kind of fault, if the store refused it)."""

    batches: int = 0
    last_stored_at: float | None = None
    waiting_since: float | None = None  # the batch in hand first went to the store then
    fault: str | None = None  # why the store last refused it

    def recording(self) -> None:
        if self.waiting_since is None:
            self.waiting_since = time.time()

    def stored(self) -> None:
        self.batches += 1
        self.last_stored_at = time.time()
        self.waiting_since = self.fault = None

    def failed(self, fault: str) -> None:
        self.fault = fault


@dataclass
class Report:
    """One ``hub serve``'s view of itself, at ``updated_at`` (seconds since the epoch)."""

    pid: int
    started_at: float
    updated_at: float
    nats_connected: bool
    nats_lost_since: float | None
    nats_outages: int
    consumer_pending: int | None  # None: could not be asked
    consumer_ack_pending: int | None
    streams_recreated: int
    ingest: IngestHealth = field(default_factory=IngestHealth)
    writer_restarts: int = 0
    projector_alive: bool = True
    projector_restarts: int = 0
    keeper_fault: str | None = None
    streams_unreadable: str | None = None  # a stream's files on disk, the server not showing it
    # The notifier's counts (NotifierHealth.as_dict: sent, withheld, too_old, failed, pending,
    # last_published_at, unpublished_since, fault); None when HUB_NOTIFY is off.
    notifications: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        fields = dict(data)
        fields["ingest"] = IngestHealth(**fields.get("ingest", {}))
        return cls(**fields)


def problems(report: Report | None, running: bool, now: float) -> list[str]:
    """Why ingest is not flowing, in words for an operator; empty when it is.

    ``running`` says whether the process that wrote the report is still alive.
    """
    if report is None:
        return ["hub serve is not running (no report from it)"]
    if not running:
        return [f"hub serve is not running (pid {report.pid} is gone)"]
    found: list[str] = []
    age = now - report.updated_at
    if age > STALE_AFTER:
        found.append(f"hub serve has not reported for {age:.0f}s (stuck?)")
    if not report.nats_connected:
        since = report.nats_lost_since
        found.append(
            "the NATS connection is lost"
            + (f" ({now - since:.0f}s); reconnecting" if since else "; reconnecting")
        )
    elif report.streams_unreadable is not None:
        found.append(f"the hub's streams cannot be read: {report.streams_unreadable}")
    elif report.keeper_fault is not None:  # (not checked yet, just after a start: no fault)
        found.append(
            f"the stream and the hub's consumer could not be checked ({report.keeper_fault})"
        )
    ingest = report.ingest
    if ingest.waiting_since is not None and now - ingest.waiting_since > FAILING_AFTER:
        held = now - ingest.waiting_since
        found.append(
            f"the store has refused the batch in hand for {held:.0f}s ({ingest.fault});"
            " nothing is lost, it is retried"
            if ingest.fault
            else f"the store has not finished the batch in hand for {held:.0f}s (locked?)"
        )
    waiting = report.consumer_pending or 0
    progress = max(ingest.last_stored_at or 0.0, report.started_at)
    if waiting and ingest.waiting_since is None and now - progress > STALLED_AFTER:
        found.append(
            f"{waiting} events are waiting in the stream and none was stored for"
            f" {now - progress:.0f}s"
        )
    notified = report.notifications or {}
    unpublished = notified.get("unpublished_since")
    if unpublished is not None and now - unpublished > UNPUBLISHED_AFTER:
        found.append(
            f"notifications could not be published for {now - unpublished:.0f}s"
            f" ({notified.get('pending', 0)} waiting); they are kept and retried"
        )
    if not report.projector_alive:
        found.append(
            f"the projector is not running (restarted {report.projector_restarts} times);"
            " answers fall behind"
        )
    return found
