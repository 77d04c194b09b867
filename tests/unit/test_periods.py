"""Periods and as-of times as users write them."""

from __future__ import annotations

import datetime as dt

import pytest

from projections import BadArgument, parse_as_of, parse_period
from projections._time import instant, london_day


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2017/18", "2017-04-01", "2018-03-31"),
        ("1999/00", "1999-04-01", "2000-03-31"),
        ("2017", "2017-01-01", "2017-12-31"),
        ("2018-02", "2018-02-01", "2018-02-28"),
        ("2016-02", "2016-02-01", "2016-02-29"),
        ("2010-04-06..2011-04-05", "2010-04-06", "2011-04-05"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    period = parse_period(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    "text", ["2017/19", "2017-13", "17", "2011-04-05..2010-04-06", "last year"]
)
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(BadArgument, match="period"):
        parse_period(text)


def test_a_period_begins_and_ends_at_midnight_in_london() -> None:
    period = parse_period("2017/18")
    assert period.start_us == instant("2017-03-31T23:00:00+00:00")  # BST
    assert period.end_us == instant("2018-03-31T23:00:00+00:00")  # BST began 25 March


def test_london_day_follows_summer_time() -> None:
    assert london_day(instant("2017-03-31T23:30:00+00:00")) == 20170401
    assert london_day(instant("2017-12-31T23:30:00+00:00")) == 20171231
    assert london_day(instant("2017-10-29T00:30:00+00:00")) == 20171029  # 01:30 BST


def test_as_of_needs_an_offset_or_is_a_whole_day() -> None:
    assert parse_as_of("2019-05-01T09:00:00+01:00").utcoffset() == dt.timedelta(hours=1)
    assert parse_as_of("2019-05-01") == dt.datetime.fromisoformat("2019-05-02T00:00:00+01:00")
    with pytest.raises(BadArgument, match="offset"):
        parse_as_of("2019-05-01T09:00:00")
