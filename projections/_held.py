"""Whether any records are held for an answer, so that an answer from nothing says so
instead of giving zeros.

No records are held, as of the answer's position, when the store holds no facts at all or
none recorded by the as-of time; when none of the event types the statistic counts
(``Statistic.sources``) had been imported; or when the period lies wholly before the earliest
or after the latest day the statistic's records held are about (``Statistic.spans``: each
kind's span of days, kept by the projector as records are derived, including records since
retracted or corrected away: the span says what was held, so it never hides a record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from projections._schema import OPEN_DAY
from projections._store import ProjectionStore
from projections._time import Period, date_words, moment_words, period_words
from projections.statistics import Statistic


@dataclass(frozen=True)
class Held:
    held: bool
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"held": self.held, "reason": self.reason}


def records_held(
    store: ProjectionStore,
    statistic: Statistic,
    period: Period,
    position: int,
    *,
    asked_as_of: dt.datetime | None,
) -> Held:
    """Inside ``store.reading()``. ``asked_as_of``: the as-of time the caller gave, if any."""
    by = f" by {moment_words(asked_as_of)}" if asked_as_of else ""
    if not position:
        if not store.head()[0]:
            return Held(False, "no records held: the store holds no events at all")
        return Held(False, f"no records held: the store holds no events recorded{by}")
    what = f"{statistic.records} ({', '.join(statistic.sources)})"
    if not store.imported(statistic.sources, position):
        ever = f"had been imported{by}" if asked_as_of else "have ever been imported"
        return Held(False, f"no records held: no {what} {ever}")
    span = store.span(statistic.spans, position)
    if span is None:
        return Held(False, f"no records held: no {what} are held{by}")
    first, last = span
    words = period_words(period.start, period.end)
    if period.last_day < first:
        return Held(False, f"no records held for {words}: the {what} held begin on {_words(first)}")
    if last != OPEN_DAY and period.first_day > last:
        return Held(False, f"no records held for {words}: the {what} held end on {_words(last)}")
    return Held(True)


def _words(day: int) -> str:
    return date_words(dt.date(day // 10000, day // 100 % 100, day % 100))
