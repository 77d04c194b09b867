"""The guard against differencing: a small count worked out by setting two public answers
side by side.

A period of one day may show ``<5``, yet the answers for the periods ending the day before and
ending that day, 1,200 and 1,202, give it away: their difference is the count for the day.
So each new public answer is checked against the public answers already given for the same
statistic. For each earlier answer whose period lies inside the new one, or around it (not
the same period: asking the same period again at another time is no differencing by period),
the difference of the two is a count for the days between them; for each count figure (not
money, not a derived percentage) whose raw values differ by 1 to ``threshold - 1``, the new
answer's figure is withheld. The secondary rule then runs again over the totals
(``projections._disclosure.suppression``), so a withheld figure cannot be worked out from
its total and the other parts.

Not guarded: periods that overlap without one holding the other (their difference is of two
remainders, not one count), and differences between statistics that overlap (the FOI team
judges those). The comparison is of raw values, the answer given then against the new one,
so a figure hidden in the earlier answer still guards the new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from projections._time import Period
from projections.statistics import Statistic

Raw = Mapping[str, int | float | None]


@dataclass(frozen=True)
class GivenAnswer:
    """A public answer given: what a later answer is checked against. Aggregates only:
    the statistic, the period's first and last London dates, and its raw figures (``None``
    where it had none, as when no records were held)."""

    statistic: str
    start: dt.date
    end: dt.date
    figures: Raw = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for storing: ``from_dict`` reads it back."""
        return {
            "statistic": self.statistic,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "figures": dict(self.figures),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GivenAnswer:
        return cls(
            statistic=data["statistic"],
            start=_date(data["start"]),
            end=_date(data["end"]),
            figures=dict(data["figures"]),
        )


def differencing(
    statistic: Statistic,
    period: Period,
    figures: Raw,
    given: Iterable[GivenAnswer],
    threshold: int,
) -> set[str]:
    """The figures of a new answer (``statistic`` for ``period``, raw ``figures``) to withhold
    because, set against an answer already ``given``, they would reveal a count from 1 to
    ``threshold - 1``."""
    withhold: set[str] = set()
    for earlier in given:
        if earlier.statistic != statistic.name or not _nested(period, earlier):
            continue
        for name in statistic.counts:
            new, old = figures.get(name), earlier.figures.get(name)
            if new is None or old is None:
                continue
            if 1 <= abs(new - old) <= threshold - 1:
                withhold.add(name)
    return withhold


def _nested(period: Period, earlier: GivenAnswer) -> bool:
    """One period holds the other, and they are not the same period."""
    if (period.start, period.end) == (earlier.start, earlier.end):
        return False
    inside = period.start <= earlier.start and earlier.end <= period.end
    around = earlier.start <= period.start and period.end <= earlier.end
    return inside or around


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
