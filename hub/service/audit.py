"""The audit of every read through the hub's read side: append-only, hash-chained, in the store.

``record`` appends at the head of the chain; when another process appended first (the store
refuses the same version twice) it reads the new head and tries again, so the chain stays one
line however many web workers and commands write to it. ``verify`` recomputes every link:
an entry changed, removed or put out of order in the database shows as a broken link. The
newest hash, printed by ``hub audit``, can be noted elsewhere to detect the removal of the tail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.domain.audit import AUDIT_LOG_ID, GENESIS, ReadAudited, entry_hash, recomputed
from hub.domain.people import User
from hub.errors import StoreConflict
from hub.service.ports import Streams

_ATTEMPTS = 20


@dataclass(frozen=True)
class Entry:
    seq: int
    at: dt.datetime
    user: str
    role: str
    action: str
    what: dict[str, Any]
    digest: str | None
    outcome: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "user": self.user,
            "role": self.role,
            "action": self.action,
            "what": self.what,
            "digest": self.digest,
            "outcome": self.outcome,
            "hash": self.hash,
        }


class AuditLog:
    def __init__(
        self,
        streams: Streams[Any],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._streams = streams
        self._clock = clock

    def record(
        self,
        user: User,
        action: str,
        what: Mapping[str, Any],
        *,
        digest: str | None = None,
        outcome: str = "ok",
    ) -> Entry:
        arguments = {key: _plain(value) for key, value in what.items() if value is not None}
        for _ in range(_ATTEMPTS):
            head: ReadAudited | None = self._streams.last(AUDIT_LOG_ID)
            seq = 1 if head is None else head.originator_version + 1
            previous = GENESIS if head is None else head.hash
            at = self._clock()
            link = entry_hash(
                previous, seq, at.isoformat(), user.name, user.role, action, arguments, digest,
                outcome,
            )  # fmt: skip
            event = ReadAudited(
                originator_id=AUDIT_LOG_ID,
                originator_version=seq,
                timestamp=at,
                user=user.name,
                role=user.role,
                action=action,
                what=arguments,
                digest=digest,
                outcome=outcome,
                previous=previous,
                hash=link,
            )
            try:
                self._streams.append([event])
            except StoreConflict:
                continue  # another process took this link first: append after it
            return _entry(event)
        raise StoreConflict("the audit could not be appended to: too many writers at once")

    def entries(self, since: dt.datetime | None = None) -> list[Entry]:
        events = self._streams.stream(AUDIT_LOG_ID)
        return [_entry(e) for e in events if since is None or e.timestamp >= since]

    def verify(self) -> list[str]:
        """Every broken link of the chain; [] when it is intact."""
        problems = []
        previous = GENESIS
        expected = 1
        for event in self._streams.stream(AUDIT_LOG_ID):
            seq = event.originator_version
            if seq != expected:
                problems.append(f"entries {expected} to {seq - 1} are missing")
            if event.previous != previous:
                problems.append(f"entry {seq} does not follow the entry before it")
            if recomputed(event) != event.hash:
                problems.append(f"entry {seq} has been changed since it was written")
            previous = event.hash
            expected = seq + 1
        return problems

    def head(self) -> tuple[int, str]:
        """The newest entry's number and hash: note it elsewhere to pin the chain."""
        last: ReadAudited | None = self._streams.last(AUDIT_LOG_ID)
        return (0, GENESIS) if last is None else (last.originator_version, last.hash)


def _entry(event: ReadAudited) -> Entry:
    return Entry(
        seq=event.originator_version,
        at=event.timestamp,
        user=event.user,
        role=event.role,
        action=event.action,
        what=event.what,
        digest=event.digest,
        outcome=event.outcome,
        hash=event.hash,
    )


def _plain(value: Any) -> Any:
    """Arguments as JSON keeps them, so the hash is the same when read back."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


__all__ = ["AuditLog", "Entry"]
