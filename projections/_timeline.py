"""A child's status over time, from the local authority's events about every identity the
child is known by: looked after, UASC, allocated, placement, and whether the department
knew the child at all.

Status at a moment includes events that happened at that moment ("at or before").
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from typing import NamedTuple

import orjson

from projections._facts import LA, Fact, ordered


class Status(NamedTuple):
    looked_after: bool = False
    uasc: bool = False
    allocated: bool = False
    placement_type: str | None = None
    placement_ref: str | None = None


class Timeline:
    def __init__(self, facts: list[Fact], first_known_us: int | None = None) -> None:
        """``facts``: living facts about the child (others are passed over);
        ``first_known_us``: when the department first recorded anything about the child
        (default: the earliest local-authority fact given)."""
        la = ordered([f for f in facts if f.agency == LA and f.alive])
        if first_known_us is None and la:
            first_known_us = la[0].occurred_us
        self.first_known_us = first_known_us
        self._times: list[int] = []
        self._states: list[Status] = []
        looked_after = uasc = False
        roles: set[str] = set()
        placements: dict[str, str] = {}  # open placement ref -> type, in the order opened
        for fact in la:
            p = fact.payload
            match fact.type:
                case "care.period_started":
                    looked_after, uasc = True, bool(p["uasc"])
                case "care.period_ended":
                    looked_after = False
                    placements.clear()
                case "care.uasc_status_changed":
                    uasc = bool(p["uasc"])
                case "allocation.opened":
                    roles.add(p["worker_role"])
                case "allocation.closed":
                    roles.discard(p["worker_role"])
                case "care.placement_started":
                    placements.pop(p["placement_ref"], None)
                    placements[p["placement_ref"]] = p["placement_type"]
                case "care.placement_ended":
                    placements.pop(p["placement_ref"], None)
                case _:
                    continue
            ref = next(reversed(placements), None)
            self._times.append(fact.occurred_us)
            self._states.append(
                Status(
                    looked_after,
                    looked_after and uasc,
                    bool(roles),
                    placements[ref] if ref else None,
                    ref,
                )
            )

    def signature(self) -> bytes:
        """Equal for timelines that give every episode the same status."""
        return hashlib.sha256(
            orjson.dumps([self.first_known_us, self._times, [tuple(s) for s in self._states]])
        ).digest()

    def at(self, us: int) -> Status:
        i = bisect_right(self._times, us)
        return self._states[i - 1] if i else Status()

    def known_at(self, us: int) -> bool:
        """Did the department hold any record of the child at or before ``us``?"""
        return self.first_known_us is not None and self.first_known_us <= us

    def uasc_looked_after(self) -> list[tuple[int, int | None]]:
        """Intervals ``[start, end)`` when the child was looked after and UASC."""
        intervals: list[tuple[int, int | None]] = []
        start: int | None = None
        for us, state in zip(self._times, self._states, strict=True):
            if state.uasc and start is None:
                start = us
            elif not state.uasc and start is not None:
                if us > start:
                    intervals.append((start, us))
                start = None
        if start is not None:
            intervals.append((start, None))
        return intervals
