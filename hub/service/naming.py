"""How a notification names the child: by the identifiers the recipient itself holds for it
(``docs/notifications.md``), looked up from the recipient's own facts about the child's hub
identities, their sealed originals opened with the keyring. Nothing here is stored or logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from contracts import notifications as spec
from hub.domain.events import FactRecorded
from hub.domain.notifications import ERASED, NO_IDENTIFIER
from hub.domain.privacy import Seals, original_body
from hub.service.notices import NoticeReader

RECENT = 20
"""The recipient's facts read per hub child: its latest, by store order. An agency repeats its
identifiers on each of its facts about the child, so the latest few name it as the agency now
does, without unsealing the hundreds a looked-after child's invoices and placements come to."""


class FactLog(Protocol):
    def get(self, id: UUID) -> FactRecorded | None: ...


class Held(Protocol):
    """What the Notifier reads of the store: facts by id, and the keyring to open them."""

    @property
    def facts(self) -> FactLog: ...

    @property
    def keyring(self) -> Seals: ...


Named = tuple[dict[str, str], str | None]
"""The identifiers, or (when there are none) why: ``NO_IDENTIFIER`` or ``ERASED``."""


class Naming:
    """The recipient's own identifiers for a child, given the hub children it was at the
    notification's raise (``members``). What is looked up is kept until ``forget`` (the
    Notifier forgets at each pass: an erasure or a new fact is seen at the next)."""

    def __init__(self, store: Held, reader: NoticeReader) -> None:
        self.store = store
        self.reader = reader
        self._named: dict[tuple[tuple[str, ...], str, tuple[UUID, ...]], Named] = {}
        self._facts: dict[tuple[bytes, str], Sequence[bytes]] = {}

    def forget(self) -> None:
        self._named.clear()
        self._facts.clear()

    def identifiers(self, members: Sequence[str], agency: str, hints: Sequence[UUID]) -> Named:
        """From the recipient's latest ``RECENT`` living facts about each of ``members`` (hub
        child ids), and the facts ``hints`` names when they are the recipient's about one of
        them (a retracted cause, out of the living); the latest recorded last, so that its
        identifiers are the ones the body carries."""
        wanted: list[UUID] = []
        for member in members:
            key = (UUID(member).bytes, agency)
            if key not in self._facts:
                self._facts[key] = list(self.reader.facts_by([key[0]], agency))[-RECENT:]
            wanted.extend(UUID(bytes=id) for id in self._facts[key])
        seen = set(wanted)
        extra = tuple(hint for hint in hints if hint not in seen)
        cached = (tuple(members), agency, extra)
        if cached not in self._named:
            self._named[cached] = self._open(set(members), agency, wanted, extra)
        ids, reason = self._named[cached]
        return dict(ids), reason

    def _open(
        self, members: set[str], agency: str, wanted: Sequence[UUID], hints: Sequence[UUID]
    ) -> Named:
        facts: list[FactRecorded] = []
        for id in wanted:
            fact = self.store.facts.get(id)
            if fact is not None and fact.agency == agency:
                facts.append(fact)
        for id in hints:
            fact = self.store.facts.get(id)
            if fact is not None and fact.agency == agency and fact.child_id in members:
                facts.append(fact)
        facts.sort(key=lambda fact: fact.timestamp)  # stable: in store order within a time
        ids: dict[str, str] = {}
        erased = 0
        for fact in facts:
            body = original_body(fact, self.store.keyring)
            if body is None:
                erased += 1
                continue
            child = body.get("child")
            held = child.get("ids") if isinstance(child, dict) else None
            if isinstance(held, dict):
                ids.update(spec.own_identifiers(agency, held))
        if ids:
            return ids, None
        return {}, ERASED if facts and erased == len(facts) else NO_IDENTIFIER


__all__ = ["RECENT", "FactLog", "Held", "Named", "Naming"]
