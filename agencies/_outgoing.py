"""The one message type the adapters send: what the planner makes, the ledger's outbox keeps
and the publisher publishes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    """One message for JetStream, sent byte for byte as it was first made."""

    subject: str  # safeguarding.v1.<agency>.<event_type>
    # Sent as Nats-Msg-Id: the event's event_id (for a published line without one, the
    # line's SHA-256), so a re-send inside the server's duplicate window is dropped.
    msg_id: str
    body: bytes


__all__ = ["Outgoing"]
