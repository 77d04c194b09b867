"""Reproducing a published answer, and what the public may see."""

from __future__ import annotations

import pytest

from projections import BadArgument, NotAllowed, check_role
from tests.history import History, child


def build_2017(history: History, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        history.episode(f"E{i}", "2017-06-01T10:00:00+00:00", child(i + 1))


def test_as_of_reproduces_an_earlier_answer_exactly_with_its_digest(history: History) -> None:
    history.at("2018-05-01T00:00:00+00:00")
    build_2017(history, 7)
    published = history.ask("missing-occasions", "2017/18", as_of="2018-05-02T00:00:00+00:00")

    # Later records: a late episode in the same year, a retraction, and another year's.
    history.at("2019-03-01T00:00:00+00:00")
    build_2017(history, 2, start=100)
    history.episode("E-next", "2018-06-01T10:00:00+00:00", child(200))
    now = history.ask("missing-occasions", "2017/18", as_of="2019-03-02T00:00:00+00:00")
    again = history.ask("missing-occasions", "2017/18", as_of="2018-05-02T00:00:00+00:00")

    assert published["figures"]["all.total"]["value"] == 7
    assert now["figures"]["all.total"]["value"] == 9
    assert again == published
    assert again["provenance"]["digest"] == published["provenance"]["digest"]
    assert now["provenance"]["digest"] != published["provenance"]["digest"]
    assert (published["provenance"]["events"], now["provenance"]["events"]) == (7, 10)


def test_the_digest_depends_on_the_arguments(history: History) -> None:
    build_2017(history, 3)
    a = history.ask("missing-occasions", "2017/18", as_of="2020-01-02T00:00:00+00:00")
    b = history.ask("missing-occasions", "2017", as_of="2020-01-02T00:00:00+00:00")
    c = history.ask("missing-children", "2017/18", as_of="2020-01-02T00:00:00+00:00")
    assert (
        len({a["provenance"]["digest"], b["provenance"]["digest"], c["provenance"]["digest"]}) == 3
    )


def test_small_counts_are_hidden_and_a_second_cell_with_them(history: History) -> None:
    build_2017(history, 7)
    for i in range(7, 9):
        history.episode(f"E{i}", "2017-06-01T10:00:00+00:00", child(i + 1), classification="absent")

    public = history.ask("missing-occasions", "2017/18", suppress=True)["figures"]

    # absent = 2 is hidden; missing = 7 would give it away from the total of 9, so it goes
    # too, marked c: it is not a small number.
    assert public["all.absent"] == {
        "value": None,
        "display": "<5",
        "suppressed": True,
        "reason": "small",
        "label": "All children: occasions absent",
    }
    assert public["all.missing"] == {
        "value": None,
        "display": "c",
        "suppressed": True,
        "reason": "secondary",
        "label": "All children: occasions missing",
    }
    assert public["all.total"] == {
        "value": 9,
        "display": "9",
        "suppressed": False,
        "reason": None,
        "label": "All children: occasions missing or absent",
    }
    assert public["looked_after.total"]["value"] == 0
    assert public["looked_after.total"]["display"] == "0"
    raw = history.ask("missing-occasions", "2017/18", suppress=False)["figures"]
    assert raw["all.absent"]["value"] == 2 and raw["all.absent"]["display"] == "2"
    assert not raw["all.absent"]["suppressed"] and raw["all.absent"]["reason"] is None


def test_a_percentage_is_hidden_with_the_count_it_would_reveal(history: History) -> None:
    for i in range(6):
        who = child(i + 1)
        if i < 2:
            history.event(
                "cp.plan_started", "2015-01-01T09:00:00+00:00", child=who, plan_ref=f"O{i}"
            )
        history.event("cp.plan_started", "2017-06-01T09:00:00+00:00", child=who, plan_ref=f"P{i}")

    public = history.ask("cp-repeat-plans", "2017/18", suppress=True)["figures"]

    assert public["total"]["value"] == 6
    assert public["second_or_subsequent"]["display"] == "<5"
    assert public["second_or_subsequent"]["reason"] == "small"
    # The percentage is not itself a small count: it would reveal one, so it is marked c.
    assert public["percent"] == {
        "value": None,
        "display": "c",
        "suppressed": True,
        "reason": "derived",
        "label": "Second or subsequent plans, as a percentage",
    }


def test_raw_figures_need_an_internal_role() -> None:
    with pytest.raises(NotAllowed, match="HUB_ROLE=internal"):
        check_role("public", suppress=False)
    check_role("internal", suppress=False)
    check_role("public", suppress=True)


def test_an_answer_as_of_now_is_reproduced_by_its_own_as_of(history: History) -> None:
    history.at("2020-03-01T11:00:00+00:00")
    build_2017(history, 6)
    first = history.ask("missing-occasions", "2017/18")  # as the records stand
    # A batch the writer stamps with a clock that reads earlier still comes after.
    history.at("2020-03-01T10:00:00+00:00")
    build_2017(history, 3, start=50)

    again = history.ask("missing-occasions", "2017/18", as_of=first["as_of"])

    assert first["as_of"] == "2020-03-01T11:00:00.000005+00:00"  # the newest record's time
    assert again == first


def test_timestamps_with_a_lower_case_t_and_z_are_read(history: History) -> None:
    history.episode("E1", "2017-06-01t10:00:00z", child(1))
    assert history.figures("missing-occasions", "2017/18")["all.total"] == 1


def test_an_as_of_in_the_future_is_refused(history: History) -> None:
    with pytest.raises(BadArgument, match="future"):
        history.ask("missing-occasions", "2017/18", as_of="2999-01-01T00:00:00+00:00")
