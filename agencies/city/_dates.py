"""Dates as the synthetic exports write them, and the draws that make them."""

from __future__ import annotations

import datetime as dt
import random

from agencies.city._people import Child


def at_time(day: dt.date, rng: random.Random, lo: int = 0, hi: int = 23) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(lo, hi), rng.choice((0, 15, 30, 45))))


def day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def school_day(day: dt.date) -> dt.date:
    """The day itself, or the Monday after a weekend."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def eighteenth_birthday(c: Child) -> dt.date:
    if (c.born.month, c.born.day) == (2, 29):
        return dt.date(c.born.year + 18, 3, 1)
    return c.born.replace(year=c.born.year + 18)


def stamp(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def ssda903_date(day: dt.date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")
