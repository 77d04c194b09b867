"""Monthly trends on hand-built histories with known answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from projections import BadArgument, trends
from projections._trends import months_between, year_ending
from tests.history import History, child

POLICE_ONLY = child(9, nhs=False, la=False, police=True)


def _trends(history: History, first: str, last: str, **options: Any) -> dict[str, Any]:
    history.forum(first)  # catches the projection up
    return trends(history.projection, first, last, **options)


def test_each_month_beside_the_same_month_a_year_before(history: History) -> None:
    history.episode("A1", "2017-04-10T10:00:00+01:00", child(1))
    history.episode("B1", "2018-04-10T10:00:00+01:00", child(1))
    history.episode("B2", "2018-04-11T10:00:00+01:00", child(2), classification="absent")
    # 23:30 UTC on 30 April 2018 is 00:30 BST on 1 May: May's, not April's.
    history.episode("B3", "2018-04-30T23:30:00+00:00", child(3))
    data = _trends(history, "2018-04", "2018-05")
    assert data["months"] == ["2018-04", "2018-05"]
    assert data["series"]["episodes"] == [2, 1]  # missing and absent both count
    assert data["previous_year"]["episodes"] == [1, 0]
    assert data["change"]["episodes"] == [1, 1]
    assert data["series"]["children"] == [2, 1]
    assert data["change"]["children"] == [1, 1]


def test_linked_identities_are_one_child_and_a_duplicate_counts_once(history: History) -> None:
    history.episode("P1", "2018-06-01T10:00:00+01:00", POLICE_ONLY)
    history.episode("L1", "2018-06-02T10:00:00+01:00", child(9))
    report = history.episode("L2", "2018-06-03T10:00:00+01:00", child(9))
    history.record(report)  # re-sent: the hub drops it
    assert _trends(history, "2018-06", "2018-06")["series"]["children"] == [2]
    history.event("identity.linked", "2018-07-01T09:00:00+01:00", child=child(9), other=POLICE_ONLY)
    data = _trends(history, "2018-06", "2018-06")
    assert data["series"]["children"] == [1] and data["series"]["episodes"] == [3]
    assert data["series"]["repeat_children"] == [1]  # three episodes, linked as one child


def test_return_interviews_within_72_hours_as_a_percentage_of_episodes_found(
    history: History,
) -> None:
    who = child(1)
    for ref, found, completed in (
        ("A1", "2018-03-01T12:00:00+00:00", "2018-03-04T11:59:00+00:00"),  # 71:59 after
        ("A2", "2018-03-10T12:00:00+00:00", "2018-03-13T12:01:00+00:00"),  # 72:01 after
        ("A3", "2018-03-20T12:00:00+00:00", None),  # found, no interview
    ):
        history.episode(ref, found.replace("T12", "T02"), who, found=found)
        if completed:
            history.event("return_interview.completed", completed, child=who, episode_ref=ref)
    history.episode("A4", "2018-03-28T02:00:00+01:00", who)  # not found: not yet due
    data = _trends(history, "2018-03", "2018-04")
    assert data["series"]["ri_within_72h_percent"] == [33.3, None]  # 1 of 3; none found in April
    assert data["change"]["ri_within_72h_percent"] == [None, None]  # nothing a year before


def test_an_interview_not_yet_72_hours_due_is_not_counted_as_missed(history: History) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    history.at(now.isoformat())
    month = f"{now:%Y-%m}"
    found = now - dt.timedelta(hours=1)
    history.episode(
        "N1", (found - dt.timedelta(hours=2)).isoformat(), child(1), found=found.isoformat()
    )
    assert _trends(history, month, month)["series"]["ri_within_72h_percent"] == [None]
    history.event("return_interview.completed", now.isoformat(), child=child(1), episode_ref="N1")
    assert _trends(history, month, month)["series"]["ri_within_72h_percent"] == [100.0]


def test_cse_concerns_cases_and_alerts_agree_with_the_foi_answers(history: History) -> None:
    concern = history.event("cse.concern_raised", "2019-02-03T10:00:00+00:00", child=child(1))
    history.event("cse.concern_raised", "2019-02-28T23:59:00+00:00", child=child(2))
    history.event("cse.concern_raised", "2018-02-10T10:00:00+00:00", child=child(2))
    # 23:30 UTC on 31 March 2019 is 00:30 BST on 1 April: April's.
    history.event("cse.concern_raised", "2019-03-31T23:30:00+00:00", child=child(3))
    history.retract(concern)
    history.event("cse.case_opened", "2019-02-05T10:00:00+00:00", child=child(1), case_ref="C1")
    history.event("cse.case_opened", "2019-02-06T10:00:00+00:00", child=child(2), case_ref="C2")
    history.event("safeguarding.alert_raised", "2019-02-07T10:00:00+00:00", alert_ref="AL1")
    history.event(
        "safeguarding.alert_raised",
        "2019-02-08T10:00:00+00:00",
        alert_ref="AL2",
        setting="foster_care",
    )
    data = _trends(history, "2019-02", "2019-04")
    assert data["series"]["cse_concerns"] == [1, 0, 1] and data["change"]["cse_concerns"][0] == 0
    assert data["series"]["cse_cases"][0] == 2
    assert data["series"]["childrens_home_alerts"][0] == 1
    assert history.figures("cse-cases", "2019-02")["total"] == 2
    assert history.figures("safeguarding-alerts", "2019-02")["total"] == 1


def test_repeat_children_follow_the_forum_rule(history: History) -> None:
    for i, day in enumerate(("2018-01-10", "2018-02-01", "2018-02-20", "2018-03-15")):
        history.episode(f"A{i}", f"{day}T10:00:00+00:00", child(1))
    data = _trends(history, "2018-01", "2018-06")
    expected = [len(history.forum(m)["repeat_missing"]) for m in data["months"]]
    assert data["series"]["repeat_children"] == expected == [0, 1, 1, 1, 0, 0]
    assert _trends(history, "2018-05", "2018-05", window_days=120)["series"]["repeat_children"] == [
        1
    ]


def test_months_are_given_as_year_and_month() -> None:
    assert [m.label for m in months_between("2017-11", "2018-02")] == [
        "2017-11",
        "2017-12",
        "2018-01",
        "2018-02",
    ]
    for first, last in (("2017", "2018-01"), ("2018-03", "2018-01"), ("2000-01", "2030-01")):
        with pytest.raises(BadArgument):
            months_between(first, last)


def test_the_year_ending_a_month() -> None:
    assert year_ending("2018-03") == ("2017-04", "2018-03")
    assert year_ending("2018-12") == ("2018-01", "2018-12")
    assert year_ending("2018-01") == ("2017-02", "2018-01")
