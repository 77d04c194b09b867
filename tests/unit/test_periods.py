"""Periods and as-of times as users write them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from projections import BadArgument, parse_as_of, parse_period, parse_periods
from projections._time import instant, london_day, moment_words, period_words, range_label


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


def _utc(text: str) -> str:
    return parse_as_of(text).astimezone(dt.UTC).isoformat()


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        # A date is the end of that London day: midnight BST is 23:00 UTC.
        ("2019-05-01", "2019-05-01T23:00:00+00:00"),
        ("01/05/2019", "2019-05-01T23:00:00+00:00"),  # day first, as written in the UK
        ("1/5/2019", "2019-05-01T23:00:00+00:00"),
        ("2019-01-15", "2019-01-16T00:00:00+00:00"),  # GMT
        # The day BST begins (31 March 2019) ends at 23:00 UTC; the day it ends at 00:00.
        ("2019-03-31", "2019-03-31T23:00:00+00:00"),
        ("2019-03-30", "2019-03-31T00:00:00+00:00"),
        ("2019-10-27", "2019-10-28T00:00:00+00:00"),
        ("2019-10-26", "2019-10-26T23:00:00+00:00"),
        # A time with an offset is that instant.
        ("2019-05-01T09:00:00+01:00", "2019-05-01T08:00:00+00:00"),
        ("2019-05-01T09:00:00Z", "2019-05-01T09:00:00+00:00"),
        ("2019-05-01t09:00:00z", "2019-05-01T09:00:00+00:00"),
        ("2019-05-01T09:00:00.000005+00:00", "2019-05-01T09:00:00.000005+00:00"),
        # Without an offset it is London's clock: BST in summer, GMT in winter.
        ("2019-05-01T09:00", "2019-05-01T08:00:00+00:00"),
        ("2019-05-01 09:00:00", "2019-05-01T08:00:00+00:00"),
        ("2019-01-15T09:00", "2019-01-15T09:00:00+00:00"),
        ("2019-03-31T00:59:59", "2019-03-31T00:59:59+00:00"),  # the last second of GMT
        ("2019-03-31T02:00", "2019-03-31T01:00:00+00:00"),  # the first minute of BST
        ("2019-10-27T00:59", "2019-10-26T23:59:00+00:00"),  # BST still
        ("2019-10-27T02:00", "2019-10-27T02:00:00+00:00"),  # GMT again
    ],
)
def test_as_of_is_a_date_or_a_time(text: str, utc: str) -> None:
    assert _utc(text) == utc


def test_an_answers_own_as_of_is_read_back_exactly() -> None:
    moment = dt.datetime(2020, 3, 1, 11, 0, 0, 5, tzinfo=dt.UTC)
    assert parse_as_of(moment.isoformat()) == moment


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("2019-03-31T01:30", "never happened in London"),  # clocks went forward at 01:00
        ("2019-10-27T01:30", "happened twice in London"),  # clocks went back at 02:00
        ("2019-05-01T09", "not a date or a time"),
        ("20190501", "not a date or a time"),
        ("2019/05/01", "not a date or a time"),
        ("05/13/2019", "not a date or a time"),  # no 13th month: day first
        ("2019-02-30", "not a date or a time"),
        ("yesterday", "not a date or a time"),
        ("", "not a date or a time"),
    ],
)
def test_bad_as_of_times_say_what_is_accepted(text: str, said: str) -> None:
    with pytest.raises(BadArgument, match=said) as raised:
        parse_as_of(text)
    assert "01/05/2019" in str(raised.value) or "offset" in str(raised.value)


def test_the_ambiguous_hour_can_be_given_with_its_offset() -> None:
    assert _utc("2019-10-27T01:30+01:00") == "2019-10-27T00:30:00+00:00"
    assert _utc("2019-10-27T01:30+00:00") == "2019-10-27T01:30:00+00:00"


@pytest.mark.parametrize(
    ("text", "by", "labels"),
    [
        ("2014/15..2017/18", "year", ["2014/15", "2015/16", "2016/17", "2017/18"]),
        ("2014..2017", "year", ["2014", "2015", "2016", "2017"]),
        ("2016-04-01..2018-03-31", "year", ["2016/17", "2017/18"]),  # starts 1 April
        ("2016-01-01..2017-12-31", "year", ["2016", "2017"]),
        ("2017-04..2018-03", "year", ["2017/18"]),
        ("2017/18", "year", ["2017/18"]),
        ("2017/18", "month", [*(f"2017-{m:02d}" for m in range(4, 13)), "2018-01", "2018-02",
                              "2018-03"]),
        ("2017-11..2018-02", "month", ["2017-11", "2017-12", "2018-01", "2018-02"]),
        ("2018-02", "month", ["2018-02"]),
    ],
)  # fmt: skip
def test_a_range_splits_into_whole_years_or_months(text: str, by: str, labels: list[str]) -> None:
    periods = parse_periods(text, by)
    assert [p.label for p in periods] == labels
    assert periods == [parse_period(label) for label in labels]
    assert range_label(periods) in (text, f"{labels[0]}..{labels[-1]}", labels[0])
    assert parse_periods(range_label(periods), by) == periods  # what a reproduce line gives


@pytest.mark.parametrize(
    ("text", "by", "said"),
    [
        ("2014/15..2017/18", "week", "--by year or --by month"),
        ("2014-06-01..2016-05-31", "year", "whole financial years"),
        ("2014/15..2016", "year", "whole financial years"),  # 1 April 2014 to 31 December 2016
        ("2017-04-02..2017-05-31", "month", "whole months"),
        ("2017/18..2014/15", "year", "ends before it starts"),
        ("2000-01..2030-01", "month", "at most 240"),
        ("2017/18..2019/21", "year", "2017/18"),
    ],
)
def test_bad_ranges_say_why(text: str, by: str, said: str) -> None:
    with pytest.raises(BadArgument, match=re.escape(said)):
        parse_periods(text, by)


def test_a_range_without_by_says_to_add_it() -> None:
    with pytest.raises(BadArgument, match="--by year"):
        parse_period("2014/15..2017/18")


def test_periods_and_times_in_words() -> None:
    assert period_words(dt.date(2017, 4, 1), dt.date(2018, 3, 31)) == (
        "1 April 2017 to 31 March 2018"
    )
    assert period_words(dt.date(2017, 6, 2), dt.date(2017, 6, 2)) == "2 June 2017"
    assert moment_words(parse_as_of("2011-05-01")) == "the end of 1 May 2011 (London time)"
    assert moment_words(parse_as_of("2018-05-01T09:00:00Z")) == "10:00 on 1 May 2018 (London time)"
    assert moment_words(parse_as_of("2018-12-01T09:00:30Z")) == (
        "09:00:30 on 1 December 2018 (London time)"
    )
