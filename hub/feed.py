"""The read port the hub publishes: its stored facts, in order, as plain typed records.

Readers such as ``projections`` depend on this module only, never on how the hub stores
facts (the eventsourcing library, its transcoder's tagged JSON) nor on its domain classes::

    feed.head()                 the position of the last fact stored (0 when none)
    feed.origin()               the event id of the first fact: which store this is
    feed.read(after, limit)     up to ``limit`` facts after position ``after``, in order

A position is a fact's place in the log (1, 2, ...; gaps are possible, order is total). A
reader that remembers the last position it applied resumes with ``read(after=that)``. Every
method raises ``hub.errors.StoreUnavailable`` when the store cannot be read now (retry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StoredFact:
    """One agency event as the hub recorded it.

    ``recorded_us`` is when the hub recorded it (microseconds since 1970-01-01 UTC; each
    batch strictly later than the last). ``body`` is the event's *derivation view*
    (``hub.domain.privacy.view``): envelope, payload and the month of birth as ``child.born``
    (``YYYY-MM-01``), with no identifier, name, exact date of birth or free text (the original
    is sealed in the store); facts stored before sealing give the body as the agency sent it.
    ``child_id`` is the hub child it is about; ``joined_child_ids`` the hub children it showed
    to be the same child; for ``identity.linked``/``identity.unlinked``, ``other_child_id`` and
    ``other_joined_child_ids`` are the other side's.
    """

    position: int
    recorded_us: int
    agency: str
    event_type: str
    event_id: str
    body: dict[str, Any] = field(repr=False)
    child_id: str | None
    joined_child_ids: Sequence[str] = ()
    other_child_id: str | None = None
    other_joined_child_ids: Sequence[str] = ()


class FactFeed(Protocol):
    def head(self) -> int: ...

    def origin(self) -> str | None: ...

    def read(self, after: int, limit: int) -> Sequence[StoredFact]: ...
