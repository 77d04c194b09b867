"""What the hub told each agency (``docs/notifications.md``): one stream per notification, in
``hub_notifications``, its id the ``notification_id`` derived from the cause
(``contracts.notifications``), so the same cause can only ever be raised once: a second
``NotificationRaised`` for it is version 1 again, which the store refuses.

A stream is ``NotificationRaised`` then ``NotificationPublished`` (sent, the PubAck in hand) or
``NotificationWithheld`` (not sent, and why). A raised one with neither is in the outbox: it is
published again, with the same id, until it is marked. None of these events holds a child's
identifier: the child is named by its hub child id (a keyed digest) and the hub child ids of
its component when it was raised (pseudonyms too), and the identifiers the recipient holds are
looked up again from its own facts about exactly those whenever the body is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import DomainEvent

NO_IDENTIFIER = "recipient holds no identifier for the child"
ERASED = "child erased"
WITHDRAWN_FIRST = "withdrawn before it was sent"


@dataclass(frozen=True)
class NotificationRaised(DomainEvent):
    """A notification the hub decided to send: version 1 of its stream.

    ``cause`` is the body's ``cause`` (``event_id``, ``event_type``, ``agency``,
    ``occurred_at``); ``raised_at`` the body's, RFC 3339, kept so that a re-send is the same
    body; ``root`` the hub child id of the child (never an identifier); ``withdraws`` the
    ``notification_id`` a ``withdrawn`` notice withdraws; ``members`` the hub child ids of
    the child's component when it was raised (a ``withdrawn`` notice: the withdrawn one's), so
    that a re-send or a withdrawal after a link or an unlink names the same child. ``None`` on
    one stored before they were kept: the component as it is now."""

    agency: str
    kind: str
    cause: dict[str, Any]
    detail: dict[str, Any]
    raised_at: str
    root: str
    withdraws: str | None = None
    members: list[str] | None = None


@dataclass(frozen=True)
class NotificationPublished(DomainEvent):
    """JetStream acknowledged the notification (``published_at``: when, RFC 3339)."""

    published_at: str


@dataclass(frozen=True)
class NotificationWithheld(DomainEvent):
    """The notification was not sent, and will not be: ``reason`` in words, never a detail of
    the child (``NO_IDENTIFIER``, ``ERASED``, ``WITHDRAWN_FIRST``)."""

    reason: str


__all__ = [
    "ERASED",
    "NO_IDENTIFIER",
    "WITHDRAWN_FIRST",
    "NotificationPublished",
    "NotificationRaised",
    "NotificationWithheld",
]
