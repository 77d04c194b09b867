"""Secondary suppression rules, on figures given directly."""

from __future__ import annotations

from projections._disclosure import (
    DIFFERENCING,
    SECONDARY,
    SMALL,
    cells,
    hidden,
    not_held,
    suppression,
)
from projections.statistics import STATISTICS

OCCASIONS = STATISTICS["missing-occasions"]


def occasions(**values: int) -> dict[str, int | float | None]:
    figures: dict[str, int | float | None] = dict.fromkeys(OCCASIONS.figures, 0)
    figures.update({k.replace("__", "."): v for k, v in values.items()})
    return figures


def test_a_part_alone_under_the_threshold_takes_the_smallest_other_part_with_it() -> None:
    figures = occasions(all__missing=30, all__absent=3, all__total=33)
    assert hidden(OCCASIONS, figures, 5) == {"all.absent", "all.missing"}


def test_when_the_other_parts_are_zero_the_total_is_hidden() -> None:
    figures = occasions(all__missing=3, all__absent=0, all__total=3)
    assert hidden(OCCASIONS, figures, 5) == {"all.missing", "all.total"}


def test_two_small_parts_protect_each_other() -> None:
    figures = occasions(all__missing=2, all__absent=3, all__total=5)
    assert hidden(OCCASIONS, figures, 5) == {"all.missing", "all.absent"}


def test_zero_is_never_hidden_and_large_counts_are_shown() -> None:
    figures = occasions(all__missing=50, all__absent=7, all__total=57)
    assert hidden(OCCASIONS, figures, 5) == set()


def test_money_is_not_a_count() -> None:
    cost = STATISTICS["highest-cost"]
    assert hidden(cost, {"all_services": 3.0, "semi_independent": 0.0}, 5) == set()


def test_the_threshold_is_configurable() -> None:
    figures = occasions(all__missing=30, all__absent=7, all__total=37)
    assert hidden(OCCASIONS, figures, 10) == {"all.absent", "all.missing"}


def test_each_hidden_cell_says_why_and_only_a_small_one_shows_the_threshold() -> None:
    # The issue: absent = 2 is small; missing = 9 is hidden only because 11 - 9 would give
    # the 2 away. It must not read as a number under 5.
    figures = occasions(all__missing=9, all__absent=2, all__total=11)
    shown = cells(OCCASIONS, figures, threshold=5, suppress=True)
    assert suppression(OCCASIONS, figures, 5) == {"all.absent": SMALL, "all.missing": SECONDARY}
    assert shown["all.absent"].as_dict() == {
        "value": None,
        "display": "<5",
        "suppressed": True,
        "reason": "small",
        "label": "All children: occasions absent",
    }
    assert shown["all.missing"].as_dict() == {
        "value": None,
        "display": "c",
        "suppressed": True,
        "reason": "secondary",
        "label": "All children: occasions missing",
    }
    assert shown["all.total"].as_dict() == {
        "value": 11,
        "display": "11",
        "suppressed": False,
        "reason": None,
        "label": "All children: occasions missing or absent",
    }


def test_a_percentage_of_a_hidden_count_is_derived_and_marked_c() -> None:
    plans = STATISTICS["cp-repeat-plans"]
    figures: dict[str, int | float | None] = {
        "total": 40,
        "second_or_subsequent": 3,
        "percent": 7.5,
    }
    shown = cells(plans, figures, threshold=5, suppress=True)
    assert (shown["second_or_subsequent"].display, shown["second_or_subsequent"].reason) == (
        "<5",
        "small",
    )
    assert (shown["percent"].display, shown["percent"].reason) == ("c", "derived")
    assert shown["total"].value == 40


def test_a_withheld_cell_is_marked_c_and_its_total_is_protected() -> None:
    figures = occasions(all__missing=1202, all__absent=0, all__total=1202)
    result = suppression(OCCASIONS, figures, 5, withhold={"all.total"})
    # The total withheld alone would be given away by missing + absent: missing goes too.
    assert result == {"all.total": DIFFERENCING, "all.missing": SECONDARY}
    shown = cells(OCCASIONS, figures, threshold=5, suppress=True, withhold={"all.total"})
    assert [shown[n].display for n in ("all.missing", "all.absent", "all.total")] == [
        "c",
        "0",
        "c",
    ]


def test_money_is_never_withheld() -> None:
    cost = STATISTICS["highest-cost"]
    figures: dict[str, int | float | None] = {"all_services": 3.0, "semi_independent": 1.0}
    assert suppression(cost, figures, 5, withhold={"all_services"}) == {}


def test_without_suppression_nothing_is_hidden() -> None:
    figures = occasions(all__missing=9, all__absent=2, all__total=11)
    shown = cells(OCCASIONS, figures, threshold=5, suppress=False, withhold={"all.total"})
    assert all(not cell.suppressed and cell.reason is None for cell in shown.values())
    assert shown["all.absent"].display == "2"


def test_cells_with_no_records_held_have_no_number() -> None:
    shown = not_held(OCCASIONS)
    assert set(shown) == set(OCCASIONS.figures)
    assert {(c.value, c.display, c.suppressed, c.reason) for c in shown.values()} == {
        (None, "x", False, "no_records")
    }
