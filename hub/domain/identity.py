"""Which hub child an event is about: children are the same when they share any identifier.

The registry maps each identifier the hub has seen (``nhs_number:...``, ``la_child_id:...``) to
the hub child it first named. It holds identifiers only as keyed digests (see ``Pseudonyms``), so
neither the registry table nor the hub's memory keeps an identifier in clear.

Identifiers never move: when an event shows that two hub children share an identifier, the
event records the join and projections union the two children, so a join can be seen as of
any time. ``identity.linked`` joins children the same way, explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from hub.domain.events import Pseudonyms


@dataclass(frozen=True)
class Resolution:
    child_id: UUID
    joined: tuple[UUID, ...]
    new_identifiers: tuple[bytes, ...]


class IdentityRegistry:
    """Identifier -> hub child. Changes are staged until the batch that made them is stored."""

    def __init__(self, pseudonyms: Pseudonyms, known: Mapping[UUID, UUID] | None = None) -> None:
        self.pseudonyms = pseudonyms
        self._known: dict[bytes, UUID] = {}
        self._staged: dict[bytes, UUID] = {}
        self._since_mark: list[bytes] = []
        self.reload(known or {})

    def reload(self, known: Mapping[UUID, UUID]) -> None:
        """Replace what is known with the stored registry (the source of truth)."""
        # Keyed by the identifier's digest (the bytes of its registry id): no UUID per lookup.
        self._known = {id.bytes: child for id, child in known.items()}
        self._staged.clear()
        self._since_mark = []

    def __len__(self) -> int:
        return len(self._known)

    def resolve(self, keys: Iterable[str]) -> Resolution:
        keys = tuple(keys)
        ids = [self.pseudonyms.identifier_digest(key) for key in keys]
        found: list[UUID] = []
        new: list[bytes] = []
        for id in ids:
            child = self._staged.get(id) or self._known.get(id)
            if child is None:
                new.append(id)
            elif child not in found:
                found.append(child)
        child_id = found[0] if found else self.pseudonyms.child_id(keys[0])
        for id in new:
            self._staged[id] = child_id
        self._since_mark.extend(new)
        return Resolution(child_id, tuple(found[1:]), tuple(new))

    def find(self, keys: Iterable[str]) -> tuple[UUID | None, list[UUID]]:
        """(the first known child these identifier keys name, or None; their registry ids),
        registering nothing: for a reject, which names a child but is no record of it."""
        ids = [self.pseudonyms.identifier_digest(key) for key in keys]
        child = next((c for id in ids if (c := self._known.get(id)) is not None), None)
        return child, [UUID(bytes=id) for id in ids]

    def mark(self) -> None:
        """Start a message: ``undo`` then unstages only what resolving it staged."""
        self._since_mark = []

    def undo(self) -> None:
        """The message since ``mark`` is not recorded: forget the identifiers it staged."""
        for digest in self._since_mark:
            del self._staged[digest]
        self._since_mark = []

    def staged(self) -> dict[UUID, UUID]:
        """Identifiers first seen in this batch: registry id -> hub child."""
        return {UUID(bytes=digest): child for digest, child in self._staged.items()}

    def commit(self) -> None:
        """The batch that staged these identifiers is stored: make them known."""
        self._known.update(self._staged)
        self._staged.clear()
        self._since_mark = []
