"""Time as the statistics spec cuts it: instants compared in UTC, periods in Europe/London.

An instant is kept as integer microseconds since the Unix epoch (UTC); a calendar day as the
integer ``YYYYMMDD`` of the Europe/London date it falls on. A period is an inclusive range of
such days, so an episode at 00:30 BST on 1 April (23:30 UTC on 31 March) is in April.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from projections._errors import BadArgument

LONDON = ZoneInfo("Europe/London")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


def instant(value: str) -> int:
    """An RFC 3339 timestamp with offset (as the contract requires) as UTC microseconds.
    RFC 3339 allows a lower-case ``t`` and ``z``, which ``fromisoformat`` does not."""
    return to_us(dt.datetime.fromisoformat(value.upper()))


def to_us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _US


def duration_us(duration: dt.timedelta) -> int:
    return duration // _US


def from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def london_day(us: int) -> int:
    """The Europe/London date of an instant, as ``YYYYMMDD``."""
    local = from_us(us).astimezone(LONDON)
    return local.year * 10000 + local.month * 100 + local.day


def day_number(date: dt.date) -> int:
    return date.year * 10000 + date.month * 100 + date.day


def london_midnight_us(date: dt.date) -> int:
    """The instant Europe/London's ``date`` begins."""
    return to_us(dt.datetime.combine(date, dt.time(), tzinfo=LONDON))


@dataclass(frozen=True)
class Period:
    """An inclusive range of Europe/London dates, with the label the user gave."""

    label: str
    start: dt.date
    end: dt.date

    @property
    def first_day(self) -> int:
        return day_number(self.start)

    @property
    def last_day(self) -> int:
        return day_number(self.end)

    @property
    def start_us(self) -> int:
        return london_midnight_us(self.start)

    @property
    def end_us(self) -> int:
        """The instant just after the period: midnight in London after its last day."""
        return london_midnight_us(self.end + dt.timedelta(days=1))

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


_FORMS = "use 2017/18 (financial year), 2017, 2018-03 or 2010-04-06..2011-04-05"
_FINANCIAL = re.compile(r"(\d{4})/(\d{2})")
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def parse_period(text: str) -> Period:
    """``2017/18`` (1 April to 31 March), ``2017``, ``2018-03``, or ``2010-04-06..2011-04-05``."""
    text = text.strip()
    try:
        if m := _FINANCIAL.fullmatch(text):
            year = int(m[1])
            if int(m[2]) != (year + 1) % 100:
                raise BadArgument(f"period {text!r}: a financial year is written like 2017/18")
            return Period(text, dt.date(year, 4, 1), dt.date(year + 1, 3, 31))
        if _YEAR.fullmatch(text):
            return Period(text, dt.date(int(text), 1, 1), dt.date(int(text), 12, 31))
        if m := _MONTH.fullmatch(text):
            first = dt.date(int(m[1]), int(m[2]), 1)
            following = (first + dt.timedelta(days=32)).replace(day=1)
            return Period(text, first, following - dt.timedelta(days=1))
        if m := _RANGE.fullmatch(text):
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if end < start:
                raise BadArgument(f"period {text!r} ends before it starts")
            return Period(text, start, end)
    except ValueError as error:
        raise BadArgument(f"period {text!r}: {error}; {_FORMS}") from None
    raise BadArgument(f"period {text!r} not understood; {_FORMS}")


def parse_as_of(text: str) -> dt.datetime:
    """A timestamp with an offset (``2019-05-01T09:00:00+01:00``); a date alone means the end
    of that day in Europe/London."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadArgument(
            f"--as-of {text!r} is not a date or a timestamp (2019-05-01T09:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        raise BadArgument(f"--as-of {text!r} needs an offset, e.g. +00:00 or Z")
    return moment
