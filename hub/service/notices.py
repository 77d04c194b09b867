"""What the Notifier reads of the projection (``docs/notifications.md``): its ``notice`` rows
after a cursor, its deadlines fallen due, and the components and living facts the recipient's
identifiers are looked up from (``NoticeReader``; ``ProjectionNotices`` on the real one).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import projections
from hub.errors import StoreUnavailable

Cursor = tuple[int, int]
"""A notice's place: (position, seq). The Notifier reads the rows strictly after it."""


class Notice(Protocol):
    """A row of the projection's ``notice`` table (``projections.Notice``)."""

    @property
    def position(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def recorded_us(self) -> int: ...
    @property
    def action(self) -> str: ...  # "raise" | "withdraw"
    @property
    def kind(self) -> str: ...  # on a withdraw: the kind withdrawn, or "*"
    @property
    def recipient(self) -> str: ...  # on a withdraw: the recipient, or "*"
    @property
    def cause_id(self) -> bytes: ...
    @property
    def cause_type(self) -> str: ...
    @property
    def cause_agency(self) -> str: ...
    @property
    def cause_us(self) -> int: ...
    @property
    def root(self) -> bytes | None: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def target_id(self) -> bytes | None: ...


class NoticeReader(Protocol):
    """What the Notifier reads of the projection."""

    def notices(self, after: Cursor, limit: int, recorded_since_us: int | None) -> Sequence[Notice]:
        """Up to ``limit`` rows strictly after ``after``, in (position, seq) order (those
        recorded at or after ``recorded_since_us`` when given)."""
        ...

    def notice_head(self) -> Cursor:
        """The last row's (position, seq); (0, 0) when there is none."""
        ...

    def caught_up(self) -> bool:
        """Whether the projection has applied every fact the store holds: only then do its
        deadlines say what is overdue (between the run holding a ``found`` and the run holding
        its return interview, the deadline is there and the interview is not yet)."""
        ...

    def due(self, since_us: int, until_us: int) -> Sequence[Notice]: ...

    def children_of(self, root: bytes) -> Sequence[bytes]:
        """Every hub child in ``root``'s component now (root first)."""
        ...

    def facts_by(self, members: Sequence[bytes], agency: str) -> Sequence[bytes]:
        """The event ids of ``agency``'s living facts about any of ``members``, in store
        order."""
        ...


class ProjectionNotices:
    """``NoticeReader`` on the projection database, opened at its first use (on the
    Notifier's worker thread, not the event loop). ``store_head``: the position of the last
    fact in the store (``hub.feed.FactFeed.head``). The database busy or unreadable now is
    ``StoreUnavailable`` (the Notifier stops its pass and tries again), not a fault of a row."""

    def __init__(
        self, open: Callable[[], projections.ProjectionStore], store_head: Callable[[], int]
    ) -> None:
        self._open = open
        self._store_head = store_head
        self._target: int | None = None  # the store's head the projection must reach
        self._projection: projections.ProjectionStore | None = None

    @property
    def projection(self) -> projections.ProjectionStore:
        if self._projection is None:
            self._projection = self._open()
        return self._projection

    def notices(self, after: Cursor, limit: int, recorded_since_us: int | None) -> Sequence[Notice]:
        with _unavailable():
            return projections.notices(
                self.projection, after, limit, recorded_since_us=recorded_since_us
            )

    def notice_head(self) -> Cursor:
        with _unavailable():
            return projections.notice_head(self.projection)

    def caught_up(self) -> bool:
        """Has the projection applied every fact the store held when this was first asked
        (since the last ``due``)? A fixed target, not the store's head each time: under
        steady intake the projection is always a poll behind the latest fact, and would
        never catch up with a moving head."""
        if self._target is None:
            self._target = self._store_head()
        with _unavailable():
            return self.projection.head()[0] >= self._target

    def due(self, since_us: int, until_us: int) -> Sequence[Notice]:
        """The deadlines fallen due, read in one snapshot of the projection; none when that
        snapshot lacks facts the store held at ``caught_up`` (a rebuild started since)."""
        target = self._target if self._target is not None else self._store_head()
        self._target = None
        with _unavailable(), self.projection.reading():
            head = self.projection.head()[0]
            rows = projections.due(self.projection, since_us, until_us)
        return rows if head >= target else []

    def children_of(self, root: bytes) -> Sequence[bytes]:
        with _unavailable():
            return projections.children_of(self.projection, root)

    def facts_by(self, members: Sequence[bytes], agency: str) -> Sequence[bytes]:
        with _unavailable():
            return projections.facts_by(self.projection, members, agency)


@contextlib.contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:  # locked, busy, disk I/O: for now, not for ever
        raise StoreUnavailable(
            f"the projection cannot be read now ({type(error).__name__})"
        ) from None


__all__ = ["Cursor", "Notice", "NoticeReader", "ProjectionNotices"]
