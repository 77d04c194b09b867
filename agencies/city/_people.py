"""The synthetic city's children: who they are to each agency. Nothing here is a real person:
NHS numbers are in the 999 range the NHS keeps for tests, names are never made."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from contracts.examples import nhs_number, upn

DISTRICTS = ("LE1", "LE2", "LE3", "LE4", "LE5", "LE7", "LE18", "LE19")
SCHOOLS = tuple(str(120_100 + 13 * i) for i in range(60))  # schools' URNs


@dataclass
class Child:
    n: int
    born: dt.date
    sex: str  # M / F
    district: str
    police_has_nhs: bool  # does the force's record carry the NHS number?
    nhs: str = ""

    @property
    def child_id(self) -> str:
        return f"C{self.n:06d}"

    @property
    def person_id(self) -> str:
        return f"P-{self.n:06d}"

    @property
    def upn(self) -> str:
        return upn(self.n)

    @property
    def school(self) -> str:
        return SCHOOLS[self.n % len(SCHOOLS)]

    def age_on(self, day: dt.date) -> int:
        return day.year - self.born.year - ((day.month, day.day) < (self.born.month, self.born.day))


def population(rng: random.Random, size: int) -> list[Child]:
    """The children some agency records from 2010 to 2021: born 1993 to 2021."""
    first, last = dt.date(1993, 1, 1).toordinal(), dt.date(2021, 12, 31).toordinal()
    return [
        Child(
            n,
            dt.date.fromordinal(rng.randint(first, last)),
            rng.choice("MF"),
            rng.choice(DISTRICTS),
            rng.random() < 0.7,
            nhs,
        )
        for n, nhs in zip(range(1, size + 1), _nhs_numbers(), strict=False)
    ]


def _nhs_numbers() -> Iterator[str]:
    """Distinct valid numbers (``nhs_number(n)`` repeats one where n's check digit is 10)."""
    seen: set[str] = set()
    for n in range(1_000_000):
        number = nhs_number(n)
        if number not in seen:
            seen.add(number)
            yield number
