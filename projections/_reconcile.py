"""Matching the council's own missing records with police episodes, for one child.

The rule (spec, "Matching council records with police episodes"): a council record and a
police episode of the same child (linked as for every statistic) are the same occasion when
the record's ``police_episode_ref`` names the episode, or the episode's ``last_seen_at``, as
a Europe/London date, is within one day of the record's ``started_on``. Each is matched at
most once: named references first, then pairs in order of the smallest difference in days,
then the earlier ``last_seen_at``, then the earlier ``started_on``. Matching looks across
period edges; each side is counted in the period of its own date.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from projections._facts import Fact
from projections._time import day_number


class PoliceEpisode(NamedTuple):
    ref: str
    day: int  # the London date of last_seen_at, YYYYMMDD
    last_seen_us: int
    classification: str
    risk: str
    looked_after: bool


class ReconcileRow(NamedTuple):
    root: bytes
    side: str  # "council" or "police"
    day: int
    end_day: int | None
    kind: str  # council: missing / away; police: missing / absent
    risk: str | None
    looked_after: bool
    matched: bool


def reconcile(root: bytes, council: list[Fact], police: list[PoliceEpisode]) -> list[ReconcileRow]:
    """One row per council record, and per police episode while looked after, of the child;
    each matched or not."""
    records = sorted(
        (f for f in council if f.alive), key=lambda f: (f.payload["started_on"], f.position)
    )
    episodes = sorted(police, key=lambda e: (e.last_seen_us, e.ref))
    pairs = match(
        [_day(f.payload["started_on"]) for f in records],
        [f.payload.get("police_episode_ref") for f in records],
        episodes,
    )
    matched_police = set(pairs.values())
    rows = [
        ReconcileRow(
            root,
            "council",
            _day(f.payload["started_on"]),
            _day(f.payload["ended_on"]) if f.payload.get("ended_on") else None,
            f.payload["kind"],
            None,
            True,
            i in pairs,
        )
        for i, f in enumerate(records)
    ]
    # Only a looked-after child's episode can be police_only: any episode may match a
    # record, but the others (most children's, never looked after) need no row of their own.
    rows.extend(
        ReconcileRow(
            root,
            "police",
            e.day,
            None,
            e.classification,
            e.risk,
            e.looked_after,
            j in matched_police,
        )
        for j, e in enumerate(episodes)
        if e.looked_after
    )
    return rows


def match(
    started: list[int], named: list[str | None], episodes: list[PoliceEpisode]
) -> dict[int, int]:
    """Council record index -> police episode index, by the rule above."""
    pairs: dict[int, int] = {}
    if not started or not episodes:  # most children: police episodes, no council record
        return pairs
    taken: set[int] = set()
    by_ref = {e.ref: j for j, e in enumerate(episodes)}
    for i, ref in enumerate(named):
        j = by_ref.get(ref) if ref else None
        if j is not None and j not in taken:
            pairs[i] = j
            taken.add(j)
    seen = [_ordinal(e.day) for e in episodes]
    began = [_ordinal(day) for day in started]
    candidates = sorted(
        (abs(seen[j] - began[i]), e.last_seen_us, started[i], i, j)
        for i in range(len(started))
        if i not in pairs
        for j, e in enumerate(episodes)
        if j not in taken and abs(seen[j] - began[i]) <= 1
    )
    for _, _, _, i, j in candidates:
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)
    return pairs


def _day(iso: str) -> int:
    return day_number(dt.date.fromisoformat(iso))


def _ordinal(day: int) -> int:
    return dt.date(day // 10000, day // 100 % 100, day % 100).toordinal()
