"""Secondary suppression rules, on figures given directly."""

from __future__ import annotations

from projections._disclosure import hidden
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
