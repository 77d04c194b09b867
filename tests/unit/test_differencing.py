"""The differencing guard, on figures given directly: which figures of a new public answer
would give away a small count when set against an answer already given."""

from __future__ import annotations

import datetime as dt

import pytest

from projections import GivenAnswer, differencing, parse_period
from projections.statistics import STATISTICS

OCCASIONS = STATISTICS["missing-occasions"]
PLANS = STATISTICS["cp-repeat-plans"]


def occasions(total: int, absent: int = 0) -> dict[str, int | float | None]:
    figures: dict[str, int | float | None] = dict.fromkeys(OCCASIONS.figures, 0)
    figures.update({"all.missing": total - absent, "all.absent": absent, "all.total": total})
    return figures


def given(
    period: str, figures: dict[str, int | float | None], name: str = "missing-occasions"
) -> GivenAnswer:
    p = parse_period(period)
    return GivenAnswer(name, p.start, p.end, figures)


def test_a_period_one_day_longer_that_differs_by_two_is_withheld() -> None:
    before = given("2017-04-01..2017-06-01", occasions(1200))
    new = parse_period("2017-04-01..2017-06-02")
    assert differencing(OCCASIONS, new, occasions(1202), [before], 5) == {
        "all.missing",
        "all.total",
    }


def test_the_shorter_period_asked_after_the_longer_one_is_guarded_too() -> None:
    longer = given("2017-04-01..2017-06-02", occasions(1202))
    new = parse_period("2017-04-01..2017-06-01")
    assert differencing(OCCASIONS, new, occasions(1200), [longer], 5) == {
        "all.missing",
        "all.total",
    }


def test_a_period_inside_the_new_one_counts_anywhere_inside() -> None:
    inside = given("2017-05", occasions(40, absent=10))
    new = parse_period("2017/18")
    # absent differs by 3 (10 -> 13): the other eleven months hold 3. missing by 60.
    assert differencing(OCCASIONS, new, occasions(113, absent=13), [inside], 5) == {"all.absent"}


@pytest.mark.parametrize("difference", [0, 5, 6, 100])
def test_a_difference_of_zero_or_the_threshold_or_more_is_no_risk(difference: int) -> None:
    before = given("2017-04-01..2017-06-01", occasions(1200))
    new = parse_period("2017-04-01..2017-06-02")
    assert differencing(OCCASIONS, new, occasions(1200 + difference), [before], 5) == set()


def test_the_threshold_sets_what_is_small() -> None:
    before = given("2017-04-01..2017-06-01", occasions(1200))
    new = parse_period("2017-04-01..2017-06-02")
    assert differencing(OCCASIONS, new, occasions(1207), [before], 5) == set()
    assert differencing(OCCASIONS, new, occasions(1207), [before], 10) == {
        "all.missing",
        "all.total",
    }


def test_the_same_period_overlapping_ones_and_other_statistics_are_passed_over() -> None:
    new = parse_period("2017-04-01..2017-06-02")
    same = given("2017-04-01..2017-06-02", occasions(1200))  # asked again, another as-of
    overlapping = given("2017-05-01..2017-07-31", occasions(1200))
    disjoint = given("2016/17", occasions(1200))
    other = given("2017-04-01..2017-06-01", {"total": 1200}, name="missing-children")
    earlier = [same, overlapping, disjoint, other]
    assert differencing(OCCASIONS, new, occasions(1202), earlier, 5) == set()


def test_money_derived_figures_and_unknown_values_are_not_compared() -> None:
    before = GivenAnswer("cp-repeat-plans", dt.date(2017, 4, 1), dt.date(2017, 6, 1), {
        "total": 100, "second_or_subsequent": None, "percent": 10.0,
    })  # fmt: skip
    new = parse_period("2017/18")
    figures: dict[str, int | float | None] = {
        "total": 102,
        "second_or_subsequent": 12,
        "percent": 11.8,
    }
    assert differencing(PLANS, new, figures, [before], 5) == {"total"}
    cost = STATISTICS["highest-cost"]
    spent = GivenAnswer("highest-cost", dt.date(2017, 4, 1), dt.date(2017, 6, 1), {
        "all_services": 1000.0, "semi_independent": 0.0,
    })  # fmt: skip
    spending: dict[str, int | float | None] = {"all_services": 1001.0, "semi_independent": 2.0}
    assert differencing(cost, new, spending, [spent], 5) == set()


def test_a_given_answer_is_stored_and_read_back_as_plain_data() -> None:
    before = given("2017-04-01..2017-06-01", occasions(1200))
    data = before.as_dict()
    assert data["start"] == "2017-04-01" and data["figures"]["all.total"] == 1200
    assert GivenAnswer.from_dict(data) == before
