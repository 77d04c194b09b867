"""Read-only questions about the store, answered while ``hub serve`` writes to it."""

from __future__ import annotations

from typing import Any

from hub.adapters.store import Table, side_table
from hub.service.application import HubApplication


def status(app: HubApplication) -> dict[str, int]:
    facts = Table(app.recorder, app.mapper)
    return {
        "stored": facts.count(),
        "rejected": side_table(app, "rejections").count(),
        "position": facts.position(),
        "identifiers": side_table(app, "identifiers").count(),
    }


def rejects(app: HubApplication, agency: str | None = None) -> list[dict[str, Any]]:
    """Each reject with what an agency needs to fix it; never the message body."""
    return [
        {
            "rejected_at": event.timestamp.isoformat(),
            "subject": event.subject,
            "agency": event.agency,
            "stream_seq": event.stream_seq,
            "event_id": event.event_id,
            "reason": event.reason,
        }
        for event in side_table(app, "rejections").read()
        if agency is None or event.agency == agency
    ]
