"""The audit of every read: one stream of entries, each chained to the one before.

Entry ``n`` is version ``n`` of one stream, so the store's unique key lets only one writer
append each link (two processes appending at once: one is refused, and tries again on the
new head). Each entry's hash covers its own fields and the previous entry's hash, so a changed,
removed or re-ordered entry breaks every hash after it. An entry records who asked what
(statistic and arguments, month, page) and the answer's digest, never a child's identifier.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import orjson
from eventsourcing.domain import DomainEvent

AUDIT_LOG_ID = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/audit/")
GENESIS = "0" * 64


@dataclass(frozen=True)
class ReadAudited(DomainEvent):
    """Someone read (or was refused) something through the hub's read side."""

    user: str
    role: str
    action: str
    what: dict[str, Any]
    digest: str | None
    outcome: str
    previous: str
    hash: str


def entry_hash(
    previous: str,
    seq: int,
    at: str,
    user: str,
    role: str,
    action: str,
    what: dict[str, Any],
    digest: str | None,
    outcome: str,
) -> str:
    fields = {
        "seq": seq,
        "at": at,
        "user": user,
        "role": role,
        "action": action,
        "what": what,
        "digest": digest,
        "outcome": outcome,
    }
    canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(previous.encode() + b"|" + canonical).hexdigest()


def recomputed(event: ReadAudited) -> str:
    return entry_hash(
        event.previous,
        event.originator_version,
        event.timestamp.isoformat(),
        event.user,
        event.role,
        event.action,
        event.what,
        event.digest,
        event.outcome,
    )


__all__ = ["AUDIT_LOG_ID", "GENESIS", "ReadAudited", "entry_hash", "recomputed"]
