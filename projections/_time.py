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
    if ".." in text:
        raise BadArgument(
            f"period {text!r}: a range of years or months is answered one period at a time"
            " with --by year or --by month (2014/15..2017/18 --by year); one period over"
            " several years is written with its dates, 2014-04-01..2018-03-31"
        )
    raise BadArgument(f"period {text!r} not understood; {_FORMS}")


BY = ("year", "month")
"""How ``parse_periods`` splits a range: into years (financial or calendar) or months."""

MAX_PERIODS = 240


def parse_periods(text: str, by: str) -> list[Period]:
    """A range split into whole years or months, in order.

    ``text`` is a period (``2017/18``, ``2017``, ``2018-03``, ``2014-04-01..2018-03-31``) or
    two of them joined by ``..`` (``2014/15..2017/18``, ``2014..2017``, ``2017-04..2018-03``):
    the range runs from the start of the first to the end of the last. ``by="year"`` gives
    financial years (labelled ``2014/15``) when the range starts on 1 April and calendar years
    (``2014``) when it starts on 1 January; ``by="month"`` gives months (``2017-04``). The
    range must hold whole years or months; each period's label is one ``parse_period`` reads.
    """
    if by not in BY:
        raise BadArgument(f"--by {by!r}: use --by year or --by month")
    text = text.strip()
    if ".." in text and not _RANGE.fullmatch(text):
        first_text, _, last_text = text.partition("..")
        first, last = parse_period(first_text), parse_period(last_text)
        if last.end < first.start:
            raise BadArgument(f"period {text!r} ends before it starts")
        span = Period(text, first.start, last.end)
    else:
        span = parse_period(text)
    after = span.end + dt.timedelta(days=1)
    periods: list[Period] = []
    if by == "month":
        if span.start.day != 1 or after.day != 1:
            raise BadArgument(
                f"period {text!r} --by month: the range must hold whole months (it starts on"
                " the 1st of a month and ends on the last day of one), e.g. 2017-04..2018-03"
            )
        year, month = span.start.year, span.start.month
        while dt.date(year, month, 1) <= span.end and len(periods) <= MAX_PERIODS:
            periods.append(parse_period(f"{year:04d}-{month:02d}"))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        financial = (span.start.month, span.start.day) == (4, 1)
        calendar = (span.start.month, span.start.day) == (1, 1)
        if not (financial or calendar) or (after.month, after.day) != (
            span.start.month,
            span.start.day,
        ):
            raise BadArgument(
                f"period {text!r} --by year: the range must hold whole financial years (1 April"
                " to 31 March, e.g. 2014/15..2017/18) or calendar years (e.g. 2014..2017)"
            )
        for year in range(span.start.year, after.year):
            label = f"{year}/{(year + 1) % 100:02d}" if financial else f"{year}"
            periods.append(parse_period(label))
            if len(periods) > MAX_PERIODS:
                break
    if len(periods) > MAX_PERIODS:
        raise BadArgument(f"period {text!r} --by {by}: at most {MAX_PERIODS} periods at once")
    return periods


def range_label(periods: list[Period]) -> str:
    """The ``--period`` text that ``parse_periods`` splits into ``periods`` again."""
    first, last = periods[0].label, periods[-1].label
    return first if first == last else f"{first}..{last}"


_AS_OF_FORMS = (
    "use a date, 2019-05-01 or 01/05/2019 (the end of that day, London time), or a time,"
    " 2019-05-01T09:00:00+01:00 (without an offset, London time)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(?P<offset>[Zz]|[+-]\d{2}(:?\d{2})?)?"
)


def parse_as_of(text: str) -> dt.datetime:
    """When an answer is as of, as a person writes it.

    A date, ``2019-05-01`` or ``01/05/2019`` (day first), means the end of that day in
    Europe/London. A time is ISO 8601 (``2019-05-01T09:00:00+01:00``, ``...Z``); without an
    offset it is London's local time, refused when the clocks make it ambiguous (the hour
    repeated when British Summer Time ends) or when it never happened (the hour skipped when
    it begins).
    """
    text = text.strip()
    try:
        if _DATE.fullmatch(text):
            return _end_of(dt.date.fromisoformat(text))
        if m := _UK_DATE.fullmatch(text):
            return _end_of(dt.date(int(m[3]), int(m[2]), int(m[1])))
        m = _TIME.fullmatch(text)
        if not m:
            raise BadArgument(f"{text!r} is not a date or a time; {_AS_OF_FORMS}")
        moment = dt.datetime.fromisoformat(text.upper())
    except ValueError as error:
        raise BadArgument(f"{text!r} is not a date or a time ({error}); {_AS_OF_FORMS}") from None
    if moment.tzinfo is not None:
        return moment
    first, second = moment.replace(tzinfo=LONDON, fold=0), moment.replace(tzinfo=LONDON, fold=1)
    if first.astimezone(dt.UTC).astimezone(LONDON).replace(tzinfo=None) != moment:
        raise BadArgument(
            f"{text!r} never happened in London: the clocks went forward an hour then. Give an"
            " offset, e.g. +00:00"
        )
    if first.utcoffset() != second.utcoffset():
        raise BadArgument(
            f"{text!r} happened twice in London: the clocks went back an hour then. Give an"
            " offset: +01:00 for the first time, +00:00 for the second"
        )
    return first


def _end_of(day: dt.date) -> dt.datetime:
    """The end of a London day: the midnight that begins the next."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def date_words(date: dt.date) -> str:
    """``1 April 2017``."""
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def period_words(start: dt.date, end: dt.date) -> str:
    """``1 April 2017 to 31 March 2018``; one day alone is that day."""
    return date_words(start) if start == end else f"{date_words(start)} to {date_words(end)}"


def period_heading(label: str, start: dt.date, end: dt.date) -> str:
    """A short column heading: ``2017/18``, ``2017``, ``April 2017``, or the dates."""
    if _FINANCIAL.fullmatch(label) or _YEAR.fullmatch(label):
        return label
    if _MONTH.fullmatch(label):
        return f"{_MONTHS[start.month - 1]} {start.year}"
    return period_words(start, end)


def moment_words(moment: dt.datetime) -> str:
    """``10:00 on 1 May 2018 (London time)``; a London midnight is the end of the day before."""
    local = moment.astimezone(LONDON)
    if local.time() == dt.time():
        return f"the end of {date_words(local.date() - dt.timedelta(days=1))} (London time)"
    clock = f"{local:%H:%M}" if not (local.second or local.microsecond) else f"{local:%H:%M:%S}"
    return f"{clock} on {date_words(local.date())} (London time)"
