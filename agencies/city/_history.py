"""The city's history, 2010 to 2021, as the rows of each agency's exports.

Built in this order, each step respecting what the calibrated figures need:

1. The FY 2010/11 cohort (``_published.MISSING_CHILDREN_2010``): exactly that many children
   go missing between 6 April 2010 and 5 April 2011 and nobody else does. Looked-after ones are
   in care, with an allocation, throughout; the allocated ones have an allocation open
   throughout; the "known" ones had an allocation that closed before the period; the rest have
   no council record at all until after it.
2. Care (the SSDA903): about 600 children looked after at a time, children's homes (three
   of them hot spots), foster care, semi-independence, UASC arrivals.
3. Allocations, episodes (police), return interviews, CSE cases (exact per year), alerts,
   identity links for police records without an NHS number.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from agencies.city._dates import at_time, day_between, eighteenth_birthday, stamp
from agencies.city._people import DISTRICTS, Child, population
from agencies.city._published import FY_2010, MISSING_CHILDREN_2010

FIRST, LAST = dt.date(2010, 1, 1), dt.date(2021, 12, 31)
EXPORTED = dt.datetime(2022, 1, 10, 9, 0)  # every export was taken after the history
HOMES = tuple(f"SC{400100 + 37 * i}" for i in range(12))  # children's homes' Ofsted URNs
HOT = HOMES[:3]
Row = dict[str, Any]
STAY_DAYS = 700  # mean length of a period of care, before the eighteenth birthday ends it


@dataclass
class Care:
    child: Child
    start: dt.date
    end: dt.date | None
    place: str  # PLACE code
    urn: str | None
    uasc: bool = False
    moves: list[tuple[dt.date, str, str | None]] = field(default_factory=list)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def stints(self) -> list[tuple[dt.date, dt.date | None, str, str | None]]:
        """Each placement of the period: (start, end or None while open, PLACE, URN)."""
        starts = [(self.start, self.place, self.urn), *self.moves]
        return [
            (start, starts[i + 1][0] if i + 1 < len(starts) else self.end, place, urn)
            for i, (start, place, urn) in enumerate(starts)
        ]

    def placement_at(self, day: dt.date) -> tuple[str, str | None]:
        place, urn = self.place, self.urn
        for when, p, u in self.moves:
            if when <= day:
                place, urn = p, u
        return place, urn


class History:
    def __init__(self, seed: int = 2010, scale: float = 1.0) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.seed = seed
        self.scale = scale
        self.children = population(self.rng, max(3000, int(14_500 * scale)))
        self.care: dict[int, list[Care]] = defaultdict(list)
        self.allocations: list[Row] = []
        self.episodes: list[Row] = []  # police rows, with the export year in "_year"
        self.la_children: set[int] = set()  # children the council holds any record of
        self.cohort: dict[str, list[Child]] = {}
        self.serial = 0
        self._by_birth: list[Child] = []
        self._births: list[dt.date] = []

    # -- 1. the FY 2010/11 cohort ------------------------------------------------------------

    def scaled(self, figure: int) -> int:
        return round(figure * self.scale)

    def aged(self, year: int, youngest: int, oldest: int) -> list[Child]:
        """The children aged ``youngest`` to ``oldest`` on 1 July ``year``, in order."""
        if not self._by_birth:
            self._by_birth = sorted(self.children, key=lambda c: (c.born, c.n))
            self._births = [c.born for c in self._by_birth]
        mid = dt.date(year, 7, 1)
        # Born after 1 July (year - oldest - 1) and on or before 1 July (year - youngest).
        lo = bisect.bisect_right(self._births, _years_before(mid, oldest + 1))
        hi = bisect.bisect_right(self._births, _years_before(mid, youngest))
        return self._by_birth[lo:hi]

    def choose_cohort(self) -> None:
        mid = dt.date(2010, 10, 1)
        eligible = [c for c in self.children if 10 <= c.age_on(mid) <= 16]
        self.rng.shuffle(eligible)
        want = {k: self.scaled(v) for k, v in MISSING_CHILDREN_2010.items()}
        sizes = {
            "looked_after": want["looked_after"],
            "allocated": want["open_allocation"] - want["looked_after"],
            "known": want["known_to_department"] - want["open_allocation"],
            "unknown": want["total"] - want["known_to_department"],
        }
        start = 0
        for name, size in sizes.items():
            self.cohort[name] = eligible[start : start + size]
            start += size
        first, last = FY_2010
        for c in self.cohort["looked_after"]:
            begun = day_between(self.rng, dt.date(2008, 6, 1), dt.date(2009, 12, 31))
            place, urn = self._placement(c, begun, hot=True)
            ends = day_between(self.rng, dt.date(2011, 6, 1), dt.date(2014, 12, 31))
            self.care[c.n].append(Care(c, begun, min(ends, eighteenth_birthday(c)), place, urn))
        for c in self.cohort["looked_after"] + self.cohort["allocated"]:
            opened = day_between(self.rng, dt.date(2008, 1, 1), dt.date(2010, 2, 1))
            self._allocate(c, opened, day_between(self.rng, dt.date(2011, 6, 1), LAST))
        for c in self.cohort["known"]:
            opened = day_between(self.rng, dt.date(2007, 1, 1), dt.date(2008, 12, 31))
            self._allocate(
                c, opened, day_between(self.rng, dt.date(2009, 1, 10), dt.date(2010, 3, 1))
            )
        for group in self.cohort.values():
            for c in group:
                for _ in range(self._episodes_of_one()):
                    day = day_between(
                        self.rng, first + dt.timedelta(days=1), last - dt.timedelta(days=1)
                    )
                    self._episode(c, day)

    # -- 2. care --------------------------------------------------------------------------------

    def _placement(self, c: Child, day: dt.date, *, hot: bool = False) -> tuple[str, str | None]:
        r = self.rng.random()
        age = c.age_on(day)
        if (hot and r < 0.5) or (age >= 11 and r < 0.22):
            home = self.rng.choice(HOT) if self.rng.random() < 0.6 else self.rng.choice(HOMES)
            return "K2", home
        if age >= 16 and r < 0.45:
            return "H5", None
        return self.rng.choice(("U1", "U3", "U4", "U5", "U6")), None

    def build_care(self) -> None:
        """Care periods from 2004 (so the city starts 2010 with its looked-after children)."""
        barred = {c.n for name in ("allocated", "known", "unknown") for c in self.cohort[name]}
        barred |= {c.n for c in self.cohort["looked_after"]}
        pool = [c for c in self.children if c.n not in barred]
        starts_a_day = 300 * self.scale / 365
        day = dt.date(2004, 1, 1)
        while day <= LAST:
            for _ in range(_poisson(self.rng, starts_a_day)):
                self._come_into_care(pool, day)
            day += dt.timedelta(days=1)

    def _come_into_care(self, pool: list[Child], day: dt.date) -> None:
        for _ in range(20):  # someone of an age to come into care, and not in it already
            c = self.rng.choice(pool)
            if 0 <= c.age_on(day) <= 16 and not self._in_care(c, day):
                break
        else:
            return
        age = c.age_on(day)
        length = dt.timedelta(days=int(self.rng.expovariate(1 / STAY_DAYS)) + 30)
        end: dt.date | None = min(day + length, eighteenth_birthday(c))
        if end is not None and end > LAST:
            end = None
        # Unaccompanied asylum-seeking children from 2012, most in 2015-16.
        uasc_share = 0.5 if day.year in (2015, 2016) else 0.3
        uasc = day.year >= 2012 and age >= 14 and self.rng.random() < uasc_share
        place, urn = self._placement(c, day)
        care = Care(c, day, end, place, urn, uasc)
        stop = end or LAST
        if (stop - day).days > 200 and self.rng.random() < 0.35:
            move = day + dt.timedelta(days=self.rng.randint(60, (stop - day).days - 30))
            care.moves.append((move, *self._placement(c, move)))
        self.care[c.n].append(care)
        opened = day - dt.timedelta(days=self.rng.randint(0, 60))
        self._allocate(c, opened, None if end is None else end + dt.timedelta(days=60))

    def _in_care(self, c: Child, day: dt.date) -> Care | None:
        for care in self.care.get(c.n, ()):
            if care.covers(day) or (care.start >= day):
                return care
        return None

    def looked_after(self, c: Child, day: dt.date) -> Care | None:
        return next((care for care in self.care.get(c.n, ()) if care.covers(day)), None)

    def _allocate(self, c: Child, opened: dt.date, closed: dt.date | None) -> None:
        if closed is not None and closed > LAST:
            closed = None
        self.la_children.add(c.n)
        self.allocations.append(
            {
                "allocation_ref": f"AL-{len(self.allocations) + 1:06d}",
                "child_id": c.child_id,
                "nhs_number": c.nhs,
                "worker_role": "social worker",
                "opened_at": stamp(opened),
                "closed_at": stamp(closed),
            }
        )

    # -- 3. episodes ----------------------------------------------------------------------------

    def _episodes_of_one(self, looked_after: bool = False) -> int:
        """How often one child goes missing in a year: most once; a long tail, longest for
        looked-after children (children's homes' repeat missers)."""
        tail = (0.3, 0.6, 0.85) if looked_after else (0.62, 0.85, 0.97)
        r = self.rng.random()
        if r < tail[0]:
            return 1
        if r < tail[1]:
            return self.rng.randint(2, 3)
        if r < tail[2]:
            return self.rng.randint(4, 9)
        return self.rng.randint(10, 30)

    def build_episodes(self) -> None:
        """About 1,100 children a year outside the FY 2010/11 period (which is the cohort's):
        some 45% of the looked-after children aged 10-17, and others."""
        cohort = {c.n for group in self.cohort.values() for c in group}
        first, last = FY_2010
        for year in range(FIRST.year, LAST.year + 1):
            windows = [(dt.date(year, 1, 1), dt.date(year, 12, 31))]
            if year == 2010:
                windows = [(dt.date(2010, 1, 1), first - dt.timedelta(days=2))]
            elif year == 2011:
                windows = [(last + dt.timedelta(days=2), dt.date(2011, 12, 31))]
            share = sum((b - a).days for a, b in windows) / 365
            mid = dt.date(year, 7, 1)
            eligible = self.aged(year, 10, 17)
            looked = [c for c in eligible if self.looked_after(c, mid)]
            others = [c for c in eligible if not self.looked_after(c, mid)]
            in_care = self.rng.sample(looked, round(len(looked) * 0.45 * share))
            wanted = round(1100 * self.scale * share) - len(in_care)
            # The cohort's unknown children stay unknown: they may go missing again, but the
            # council's records of them (return interviews) begin after the period anyway.
            chosen = in_care + self.rng.sample(others, min(len(others), wanted))
            looked_after = {c.n for c in in_care}
            for c in chosen:
                for _ in range(self._episodes_of_one(c.n in looked_after)):
                    a, b = self.rng.choice(windows)
                    day = day_between(self.rng, a, b)
                    if c.age_on(day) <= 17 and not (c.n in cohort and first <= day <= last):
                        self._episode(c, day)

    def _episode(self, c: Child, day: dt.date) -> None:
        rng = self.rng
        self.serial += 1
        seen = at_time(day, rng)
        reported = seen + dt.timedelta(minutes=rng.randint(30, 600))
        care = self.looked_after(c, day)
        placement = care.placement_at(day) if care else None
        if placement:
            missing_from, ref = "PLACEMENT", placement[1] or ""
        else:
            missing_from, ref = rng.choices(("HOME", "OTHER", "SCHOOL"), (85, 12, 3))[0], ""
        risk = rng.choices(("NO_APPARENT_RISK", "LOW", "MEDIUM", "HIGH"), (3, 47, 42, 8))[0]
        absent = (
            day < dt.date(2017, 4, 1)
            and risk in ("NO_APPARENT_RISK", "LOW")
            and rng.random() < 0.55
        )
        found = reported + dt.timedelta(minutes=int(rng.lognormvariate(6.4, 0.9)))
        self.episodes.append(
            {
                "incident_ref": f"MP-{day.year}-{self.serial:06d}",
                "person_id": c.person_id,
                "nhs_number": c.nhs if c.police_has_nhs else "",
                "date_of_birth": c.born.strftime("%d/%m/%Y"),
                "sex": c.sex,
                "reported_at": stamp(reported),
                "last_seen_at": stamp(seen),
                "missing_from": missing_from,
                "placement_ref": ref,
                "missing_from_postcode": c.district,
                "risk": risk,
                "risk_graded_at": "",
                "classification": "ABSENT" if absent else "MISSING",
                "found_at": stamp(found),
                "found_by": rng.choices(
                    ("POLICE", "CARER", "SELF_RETURNED", "OTHER"), (30, 25, 40, 5)
                )[0],
                "found_location": "PLACEMENT"
                if placement and rng.random() < 0.6
                else rng.choice(("HOME", "OTHER")),
                "found_postcode": rng.choice(DISTRICTS),
                "_child": c,
                "_day": day,
                "_found": found,
                "_looked_after": care is not None,
            }
        )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)  # 1 July: no leap day to trip on


def build(seed: int = 2010, scale: float = 1.0) -> History:
    history = History(seed, scale)
    history.choose_cohort()
    history.build_care()
    history.build_episodes()
    return history
