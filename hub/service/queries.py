"""Read-only questions about the store, answered while ``hub serve`` writes to it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from hub.errors import ConfigurationError
from hub.service.ingest import pseudonym_secret
from hub.service.ports import Store


def status(store: Store) -> dict[str, int]:
    return {
        "stored": store.facts.count(),
        "rejected": store.rejections.count(),
        "position": store.facts.position(),
        "identifiers": store.identifiers.count(),
    }


def rejects(store: Store, agency: str | None = None) -> list[dict[str, Any]]:
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
        for event in store.rejections.all()
        if agency is None or event.agency == agency
    ]


def forum_key(store: Store) -> Callable[[bytes], str]:
    """Pseudonymous keys for children in the forum pack: HMAC-SHA256 with a key derived from
    the hub's own secret, so a key is stable from month to month, differs from every id the
    hub uses inside, and cannot be recomputed from a child's identifiers without the secret."""
    if not store.facts.position():
        raise ConfigurationError("the store holds no events yet, so there is no forum to build")
    secret = hmac.digest(pseudonym_secret(store), b"forum-pack-keys", "sha256")

    def key(root: bytes) -> str:
        digest = hmac.digest(secret, root, hashlib.sha256)
        return "C-" + base64.b32encode(digest).decode()[:10]

    return key
