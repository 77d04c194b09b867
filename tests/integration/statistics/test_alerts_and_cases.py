"""Safeguarding alerts, organised-abuse investigations and CSE cases."""

from __future__ import annotations

from typing import Any

from tests.history import History


def alert(history: History, ref: str, when: str, setting: str, *categories: str) -> Any:
    return history.event(
        "safeguarding.alert_raised",
        when,
        alert_ref=ref,
        setting=setting,
        categories=list(categories),
    )


def investigation(history: History, ref: str, when: str, *alert_refs: str) -> None:
    history.event(
        "safeguarding.organised_abuse_investigation_started",
        when,
        investigation_ref=ref,
        alert_refs=list(alert_refs),
    )


def test_alerts_in_childrens_homes_by_category(history: History) -> None:
    alert(history, "AL1", "2017-05-01T10:00:00+00:00", "childrens_home", "cse", "sexual_abuse")
    alert(history, "AL2", "2017-06-01T10:00:00+00:00", "childrens_home", "cce")
    foster = alert(history, "AL3", "2017-07-01T10:00:00+00:00", "foster_care", "cse")
    alert(history, "AL4", "2017-08-01T10:00:00+00:00", "childrens_home", "neglect")
    alert(history, "AL5", "2018-03-31T23:30:00+00:00", "childrens_home", "cse")  # 2018/19
    assert history.figures("safeguarding-alerts", "2017/18") == {
        "total": 3,
        "cse": 1,
        "sexual_abuse": 1,
        "cce": 1,
    }

    history.correct(foster, setting="childrens_home")

    assert history.figures("safeguarding-alerts", "2017/18") == {
        "total": 4,
        "cse": 2,
        "sexual_abuse": 1,
        "cce": 1,
    }


def test_investigations_that_cite_a_childrens_home_alert(history: History) -> None:
    alert(history, "AL1", "2017-05-01T10:00:00+00:00", "childrens_home", "cse")
    foster = alert(history, "AL2", "2017-05-01T10:00:00+00:00", "foster_care", "cse")
    investigation(history, "INV1", "2017-06-01T10:00:00+00:00", "AL1")
    investigation(history, "INV2", "2017-06-01T10:00:00+00:00", "AL2")
    investigation(history, "INV3", "2017-06-01T10:00:00+00:00", "AL-unknown")
    investigation(history, "INV4", "2018-06-01T10:00:00+00:00", "AL1")  # 2018/19
    assert history.figures("organised-abuse-investigations", "2017/18") == {"total": 1}

    # The alert INV2 cites turns out to have been in a children's home.
    history.correct(foster, setting="childrens_home")
    assert history.figures("organised-abuse-investigations", "2017/18") == {"total": 2}
    # An alert cited before it was recorded counts once it arrives.
    alert(history, "AL-unknown", "2017-05-20T10:00:00+00:00", "childrens_home", "cce")
    assert history.figures("organised-abuse-investigations", "2017/18") == {"total": 3}


def test_a_cse_case_that_becomes_online_on_reassessment(history: History) -> None:
    def case(ref: str, when: str, online: bool) -> None:
        history.event("cse.case_opened", when, case_ref=ref, online_element=online)

    history.at("2017-12-31T00:00:00+00:00")
    case("C1", "2017-02-01T10:00:00+00:00", online=False)
    case("C2", "2017-12-31T23:30:00+00:00", online=True)  # still 2017 in London (GMT)
    history.at("2018-01-02T00:00:00+00:00")
    case("C3", "2018-01-01T00:30:00+00:00", online=True)  # 2018
    history.at("2018-06-02T00:00:00+00:00").event(
        "cse.case_reassessed", "2018-06-01T10:00:00+00:00", case_ref="C1", online_element=True
    )

    assert history.figures("cse-cases", "2017") == {"total": 2, "online_element": 2}
    assert history.figures("cse-cases", "2017", as_of="2018-05-01T00:00:00+01:00") == {
        "total": 2,
        "online_element": 1,
    }
    assert history.figures("cse-cases", "2018") == {"total": 1, "online_element": 1}
