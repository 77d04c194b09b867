"""What the hub told an agency, for the operator (``hub notifications``): read from
``hub_notifications``, never naming the child but by its hub child id."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent

import contracts
from hub.domain.notifications import (
    NotificationPublished,
    NotificationRaised,
    NotificationWithheld,
)
from hub.errors import InputError
from hub.service.ports import Streams


def sent_to(
    streams: Streams[Any], agency: str, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """What the hub raised for ``agency`` (since ``since``), oldest first: each
    notification's id, kind, cause, detail and times, and whether it was sent, withheld (and
    why) or withdrawn; never the child's identifiers (the child by its hub child id)."""
    if agency not in contracts.AGENCIES:
        raise InputError(
            f"{agency!r} is not an agency; the agencies are {', '.join(contracts.AGENCIES)}"
        )
    held: dict[UUID, list[DomainEvent]] = {}
    for event in streams.all():
        held.setdefault(event.originator_id, []).append(event)
    withdrawn: dict[str, str] = {}
    for events in held.values():
        first = events[0]
        if (
            isinstance(first, NotificationRaised)
            and first.withdraws is not None
            and any(isinstance(e, NotificationPublished) for e in events)
        ):
            withdrawn[first.withdraws] = str(first.originator_id)
    rows = []
    for id, events in held.items():
        events.sort(key=lambda e: e.originator_version)
        raised = events[0]
        if not isinstance(raised, NotificationRaised) or raised.agency != agency:
            continue
        if since is not None and raised.timestamp < since:
            continue
        published = next((e for e in events if isinstance(e, NotificationPublished)), None)
        withheld = next((e for e in events if isinstance(e, NotificationWithheld)), None)
        rows.append(
            {
                "notification_id": str(id),
                "kind": raised.kind,
                "child": raised.root,
                "cause": dict(raised.cause),
                "detail": dict(raised.detail),
                "raised_at": raised.raised_at,
                "state": "sent" if published else "withheld" if withheld else "pending",
                "published_at": published.published_at if published else None,
                "withheld": withheld.reason if withheld else None,
                "withdraws": raised.withdraws,
                "withdrawn_by": withdrawn.get(str(id)),
            }
        )
    rows.sort(key=lambda row: str(row["raised_at"]))  # stable: as stored, within a time
    return rows


__all__ = ["sent_to"]
