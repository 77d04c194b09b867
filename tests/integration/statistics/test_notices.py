"""The notifications' rules (docs/notifications.md, "The rules, exactly") on hand-built
histories recorded through the hub's real intake and projected: what each run raises and
withdraws, for whom, and the return interviews that fall due."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from contracts import notifications as n
from contracts.examples import example_event
from hub.config import Settings
from projections import (
    Notice,
    ProjectionStore,
    catch_up,
    children_of,
    due,
    facts_by,
    head,
    notice_head,
    notices,
)
from projections._time import to_us
from tests.history import History, child


@pytest.fixture
def history(tmp_path: Path) -> History:
    """An empty store and projection; the hub's clock after every event below (each
    event is recorded in a run of its own, strictly later than the one before)."""
    return History(Settings(data_dir=tmp_path / "hub", writer="thread")).at(
        "2022-01-01T00:00:00+00:00"
    )


def us(moment: str) -> int:
    return to_us(dt.datetime.fromisoformat(moment))


def said(history: History, after: int = 0) -> list[Notice]:
    catch_up(history.feed, history.projection)
    return notices(history.projection, after)


def raised(history: History) -> list[tuple[str, str, str]]:
    """(kind, recipient, episode_ref or concern) of every raise, in order."""
    return [
        (x.kind, x.recipient, x.detail.get("episode_ref", x.detail.get("concern", "")))
        for x in said(history)
        if x.action == "raise"
    ]


def withdrawn(history: History) -> list[tuple[str, str, bytes | None, str]]:
    """(kind, recipient, target, cause type) of every withdraw, in order."""
    return [
        (x.kind, x.recipient, x.target_id, x.cause_type)
        for x in said(history)
        if x.action == "withdraw"
    ]


def eid(body: dict[str, Any]) -> bytes:
    return uuid.UUID(body["event_id"]).bytes


def police(k: int) -> dict[str, Any]:
    """Child ``k`` as the police know them: the NHS number and their own reference."""
    return child(k, la=False, police=True)


def in_care(history: History, k: int, since: str = "2020-06-01T09:00:00+00:00") -> None:
    history.event("care.period_started", since, child=child(k))


def test_a_looked_after_child_reported_and_found_and_the_interview_falling_due(
    history: History,
) -> None:
    in_care(history, 1)
    report = history.at("2022-02-01T09:00:00+00:00").episode(
        "E1", "2021-03-27T20:00:00+00:00", police(1), risk="medium"
    )
    history.at("2022-02-01T09:05:00+00:00").event(
        "missing.found",
        "2021-03-27T23:30:00+00:00",
        child=police(1),
        episode_ref="E1",
        found_at="2021-03-27T23:30:00+00:00",
    )
    first, second = said(history)
    assert first.action == second.action == "raise"
    assert (first.kind, first.recipient) == (n.LOOKED_AFTER_CHILD_REPORTED, n.LA)
    assert first.detail == {
        "episode_ref": "E1",
        "last_seen_at": "2021-03-27T20:00:00+00:00",
        "risk": "medium",
        "classification": "missing",
        "missing_from_kind": "placement",
    }
    assert (first.cause_id, first.cause_type, first.cause_agency) == (
        eid(report),
        "missing.reported",
        "police",
    )
    assert first.cause_us == us("2021-03-27T20:00:00+00:00")
    assert first.recorded_us == us("2022-02-01T09:00:00+00:00")
    assert first.target_id is None
    assert first.root is not None and second.root == first.root
    assert (second.kind, second.recipient) == (n.LOOKED_AFTER_CHILD_FOUND, n.LA)
    # 72 elapsed hours across the clocks going forward (00:30 BST on the 31st in London).
    assert second.detail == {
        "episode_ref": "E1",
        "found_at": "2021-03-27T23:30:00+00:00",
        "return_interview_due_by": "2021-03-30T23:30:00+00:00",
    }
    assert first.position < second.position
    assert second.recorded_us == us("2022-02-01T09:05:00+00:00")
    assert notices(history.projection, first.position) == [second]
    assert notices(history.projection, 0, 1) == [first]
    assert notices(history.projection, 0, recorded_since_us=us("2022-02-01T09:01:00+00:00")) == [
        second
    ]

    # The overdue falls due exactly 72 h after found_at, and once.
    store = history.projection
    assert due(store, 0, us("2021-03-30T23:29:59.999999+00:00")) == []
    (overdue,) = due(store, 0, us("2021-03-30T23:30:00+00:00"))
    assert due(store, us("2021-03-30T23:30:00+00:00"), us("2021-04-30T00:00:00+00:00")) == []
    assert overdue == Notice(
        position=0,
        seq=0,
        recorded_us=us("2021-03-30T23:30:00+00:00"),
        action="raise",
        kind=n.RETURN_INTERVIEW_OVERDUE,
        recipient=n.LA,
        cause_id=second.cause_id,
        cause_type="missing.found",
        cause_agency="police",
        cause_us=us("2021-03-27T23:30:00+00:00"),
        root=first.root,
        detail={
            "episode_ref": "E1",
            "found_at": "2021-03-27T23:30:00+00:00",
            "due_by": "2021-03-30T23:30:00+00:00",
        },
        target_id=None,
    )

    # The Notifier names the child by the recipient's own facts.
    assert first.root is not None
    members = children_of(store, first.root)
    assert members == [first.root]  # the NHS number made them one hub child
    (care,) = facts_by(store, members, n.LA)
    assert facts_by(store, members, n.POLICE) == [eid(report), second.cause_id]
    assert care not in facts_by(store, members, n.POLICE)
    assert facts_by(store, [], n.LA) == []


def test_nothing_for_a_child_not_looked_after(history: History) -> None:
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(2), found="2021-03-02T08:00:00+00:00")
    history.event("health.concern_raised", "2021-03-05T10:00:00+00:00", child=child(2))
    assert said(history) == []
    assert due(history.projection, 0, us("2030-01-01T00:00:00+00:00")) == []


def test_a_care_period_recorded_after_the_report_raises_nothing_past(history: History) -> None:
    history.episode("E1", "2021-02-01T20:00:00+00:00", police(1))
    assert said(history) == []
    # The council records, late, that the child was in care since January.
    in_care(history, 1, "2021-01-01T09:00:00+00:00")
    assert said(history) == []  # the report is not raised again
    # The episode is a looked-after child's now: the found that follows is told.
    history.event(
        "missing.found",
        "2021-02-06T08:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        found_at="2021-02-06T08:00:00+00:00",
    )
    assert raised(history) == [(n.LOOKED_AFTER_CHILD_FOUND, n.LA, "E1")]


def test_a_fact_sent_twice_raises_once(history: History) -> None:
    in_care(history, 1)
    report = history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    history.record(report)  # redelivered: stored once
    assert raised(history) == [(n.LOOKED_AFTER_CHILD_REPORTED, n.LA, "E1")]
    # A second report of the same incident is the same occasion: nothing more.
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    assert raised(history) == [(n.LOOKED_AFTER_CHILD_REPORTED, n.LA, "E1")]


def test_a_second_found_later_than_the_first_raises_nothing(history: History) -> None:
    in_care(history, 1)
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1), found="2021-03-02T08:00:00+00:00")
    history.event(
        "missing.found",
        "2021-03-02T09:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        found_at="2021-03-02T09:00:00+00:00",
    )
    assert raised(history) == [
        (n.LOOKED_AFTER_CHILD_REPORTED, n.LA, "E1"),
        (n.LOOKED_AFTER_CHILD_FOUND, n.LA, "E1"),
    ]
    assert len(due(history.projection, 0, us("2030-01-01T00:00:00+00:00"))) == 1


def test_a_retracted_report_withdraws_what_it_and_its_found_raised(history: History) -> None:
    in_care(history, 1)
    report = history.episode(
        "E1", "2021-03-01T20:00:00+00:00", police(1), found="2021-03-02T08:00:00+00:00"
    )
    found = said(history)[-1]
    assert due(history.projection, 0, us("2030-01-01T00:00:00+00:00"))
    retraction = history.at("2022-02-02T09:00:00+00:00").retract(report)
    assert withdrawn(history) == [
        ("*", "*", eid(report), "record.retracted"),
        ("*", "*", found.cause_id, "record.retracted"),
    ]
    last = said(history)[-1]
    assert (last.cause_id, last.cause_agency, last.detail) == (eid(retraction), "police", {})
    assert last.recorded_us == us("2022-02-02T09:00:00+00:00")
    assert due(history.projection, 0, us("2030-01-01T00:00:00+00:00")) == []


def test_a_retracted_found_withdraws_its_notice_and_its_deadline(history: History) -> None:
    in_care(history, 1)
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    found = history.event(
        "missing.found",
        "2021-03-02T08:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        found_at="2021-03-02T08:00:00+00:00",
    )
    history.retract(found)
    assert withdrawn(history) == [("*", "*", eid(found), "record.retracted")]
    assert due(history.projection, 0, us("2030-01-01T00:00:00+00:00")) == []


def test_cse_makes_a_low_grading_worth_a_review_until_corrected_to_high(
    history: History,
) -> None:
    # A concern 30 days and 6 hours before last seen; the police report it low.
    history.event(
        "cse.concern_raised", "2021-01-30T14:00:00+00:00", agency="health", child=child(3)
    )
    report = history.episode("E1", "2021-03-01T20:00:00+00:00", police(3), risk="low")
    assert raised(history) == [
        (n.RISK_REVIEW_ADVISED, n.POLICE, "E1"),
        (n.RISK_REVIEW_ADVISED, n.LA, "E1"),
    ]
    assert said(history)[0].detail == {
        "episode_ref": "E1",
        "risk": "low",
        "classification": "missing",
        "open_cse_case": False,
        "cse_concern_days_ago": 30,
    }
    history.correct(report, risk="high")
    assert withdrawn(history) == [(n.RISK_REVIEW_ADVISED, "*", eid(report), "record.corrected")]
    # A correction that changes nothing the rule reads withdraws nothing more.
    history.correct(report, risk="high", classification="missing")
    assert len(withdrawn(history)) == 1


def test_an_open_cse_case_or_an_absence(history: History) -> None:
    # Child 4: a case open when last seen (closed after), the episode classified absent.
    history.event("cse.case_opened", "2020-01-01T09:00:00+00:00", child=child(4), case_ref="C4")
    history.event("cse.case_closed", "2021-04-01T09:00:00+00:00", child=child(4), case_ref="C4")
    history.episode("E4", "2021-03-01T20:00:00+00:00", police(4), classification="absent")
    # Child 5: the case was closed before, and the concern is 91 days old: nothing.
    history.event("cse.case_opened", "2020-01-01T09:00:00+00:00", child=child(5), case_ref="C5")
    history.event("cse.case_closed", "2021-02-01T09:00:00+00:00", child=child(5), case_ref="C5")
    history.event("cse.concern_raised", "2020-11-30T19:00:00+00:00", child=child(5))
    history.episode("E5", "2021-03-01T20:00:00+00:00", police(5), risk="no_apparent_risk")
    # Child 6: a case open, but graded medium and missing: nothing.
    history.event("cse.case_opened", "2020-01-01T09:00:00+00:00", child=child(6), case_ref="C6")
    history.episode("E6", "2021-03-01T20:00:00+00:00", police(6), risk="medium")
    assert raised(history) == [
        (n.RISK_REVIEW_ADVISED, n.POLICE, "E4"),
        (n.RISK_REVIEW_ADVISED, n.LA, "E4"),
    ]
    assert said(history)[0].detail == {
        "episode_ref": "E4",
        "risk": "medium",
        "classification": "absent",
        "open_cse_case": True,
        "cse_concern_days_ago": None,
    }


def test_the_repeat_threshold_is_crossed_once_in_90_days_of_24_hours(history: History) -> None:
    # Child 7: 90 x 24 h before 1 June 12:00 UTC is 3 March 12:00 UTC (13:00 in London on
    # 1 June's wall clock would be 13:00 UTC on 3 March): 12:30 UTC is inside the window.
    for ref, seen in (
        ("A1", "2021-03-03T12:30:00+00:00"),
        ("A2", "2021-04-15T12:00:00+00:00"),
        ("A3", "2021-06-01T12:00:00+00:00"),
        ("A4", "2021-06-02T12:00:00+00:00"),  # still 3 or more: not crossed again
    ):
        history.episode(ref, seen, police(7))
    # Child 8: the first episode exactly 90 days before the third: outside.
    for ref, seen in (
        ("B1", "2021-03-03T12:00:00+00:00"),
        ("B2", "2021-04-15T12:00:00+00:00"),
        ("B3", "2021-06-01T12:00:00+00:00"),
    ):
        history.episode(ref, seen, police(8))
    assert raised(history) == [
        (n.REPEAT_THRESHOLD_REACHED, n.LA, ""),
        (n.REPEAT_THRESHOLD_REACHED, n.POLICE, ""),
    ]
    first = said(history)[0]
    assert first.detail == {"episodes_in_window": 3, "window_days": 90, "threshold": 3}
    assert first.cause_us == us("2021-06-01T12:00:00+00:00")
    # Child 8 again, after a quiet spell: crossed again (the window at B4 held fewer).
    for ref, seen in (
        ("B4", "2021-12-01T12:00:00+00:00"),
        ("B5", "2021-12-02T12:00:00+00:00"),
        ("B6", "2021-12-03T12:00:00+00:00"),
    ):
        history.episode(ref, seen, police(8))
    assert [x.cause_us for x in said(history)] == [
        us("2021-06-01T12:00:00+00:00"),
        us("2021-06-01T12:00:00+00:00"),
        us("2021-12-03T12:00:00+00:00"),
        us("2021-12-03T12:00:00+00:00"),
    ]


def test_linked_children_are_one_child_for_the_threshold_and_cse(history: History) -> None:
    council, police_only = child(9), {"ids": {"police_person_id": "P-90"}}
    history.event("identity.linked", "2021-01-01T09:00:00+00:00", child=council, other=police_only)
    history.event("cse.concern_raised", "2021-02-01T09:00:00+00:00", child=council)
    history.episode("L1", "2021-02-10T20:00:00+00:00", police_only, risk="low")
    history.episode("L2", "2021-02-20T20:00:00+00:00", council)
    history.episode("L3", "2021-03-01T20:00:00+00:00", police_only)
    assert raised(history) == [
        (n.RISK_REVIEW_ADVISED, n.POLICE, "L1"),
        (n.RISK_REVIEW_ADVISED, n.LA, "L1"),
        (n.REPEAT_THRESHOLD_REACHED, n.LA, ""),
        (n.REPEAT_THRESHOLD_REACHED, n.POLICE, ""),
    ]
    roots = {x.root for x in said(history)}
    assert len(roots) == 1
    (root,) = roots
    assert root is not None and len(children_of(history.projection, root)) == 2


def test_a_link_recorded_later_raises_nothing_past(history: History) -> None:
    council, police_only = child(10), {"ids": {"police_person_id": "P-100"}}
    history.episode("M1", "2021-02-10T20:00:00+00:00", police_only)
    history.episode("M2", "2021-02-20T20:00:00+00:00", council)
    history.episode("M3", "2021-03-01T20:00:00+00:00", police_only)
    history.event("identity.linked", "2021-03-05T09:00:00+00:00", child=council, other=police_only)
    assert said(history) == []  # the link raises nothing for the past
    # The next episode is the one child's fourth in 90 days, and the child was never told
    # as one: told now, once, caused by M4.
    m4 = history.episode("M4", "2021-03-06T20:00:00+00:00", council)
    assert raised(history) == [
        (n.REPEAT_THRESHOLD_REACHED, n.LA, ""),
        (n.REPEAT_THRESHOLD_REACHED, n.POLICE, ""),
    ]
    assert said(history)[0].cause_id == eid(m4)
    assert said(history)[0].detail["episodes_in_window"] == 4
    history.episode("M5", "2021-03-07T20:00:00+00:00", council)
    assert len(raised(history)) == 2


def test_an_emergency_attendance_of_a_child_in_care_or_on_a_plan(history: History) -> None:
    in_care(history, 11)
    history.event("cp.plan_started", "2021-01-01T09:00:00+00:00", child=child(12), plan_ref="P12")
    history.event("cp.plan_started", "2021-01-01T09:00:00+00:00", child=child(13), plan_ref="P13")
    history.event("cp.plan_ended", "2021-02-01T09:00:00+00:00", child=child(13), plan_ref="P13")
    nhs_only = {k: child(k, la=False) for k in (11, 12, 13)}
    history.event("health.concern_raised", "2021-03-01T10:00:00+00:00", child=nhs_only[11])
    history.event(
        "health.concern_raised", "2021-03-01T10:00:00+00:00", child=nhs_only[12], concern="cse"
    )
    history.event("health.concern_raised", "2021-03-01T10:00:00+00:00", child=nhs_only[13])
    history.event(
        "health.concern_raised", "2021-03-01T10:00:00+00:00", child=nhs_only[11], setting="gp"
    )
    notes = said(history)
    assert [(x.kind, x.recipient, x.cause_agency) for x in notes] == [
        (n.ATTENDANCE_OF_CHILD_KNOWN_TO_CARE, n.LA, "health"),
        (n.ATTENDANCE_OF_CHILD_KNOWN_TO_CARE, n.LA, "health"),
    ]
    assert [x.detail for x in notes] == [
        {
            "setting": "emergency_department",
            "concern": "injury",
            "looked_after": True,
            "cp_plan": False,
        },
        {
            "setting": "emergency_department",
            "concern": "cse",
            "looked_after": False,
            "cp_plan": True,
        },
    ]
    # Corrected to a GP's surgery: withdrawn.
    first = notes[0]
    target = {
        "event_id": str(uuid.UUID(bytes=first.cause_id)),
        "occurred_at": "2021-03-01T10:00:00+00:00",
        "source": {"agency": "health"},
        "payload": {"setting": "emergency_department", "concern": "injury"},
    }
    history.correct(target, setting="gp")
    assert withdrawn(history) == [
        (n.ATTENDANCE_OF_CHILD_KNOWN_TO_CARE, "*", first.cause_id, "record.corrected")
    ]


def _found(history: History, k: int, ref: str, at: str) -> dict[str, Any]:
    return history.event("missing.found", at, child=police(k), episode_ref=ref, found_at=at)


def test_an_interview_completed_or_declined_clears_the_deadline(history: History) -> None:
    later = us("2030-01-01T00:00:00+00:00")
    in_care(history, 1)
    for ref in ("E1", "E2", "E3"):
        history.episode(ref, "2021-03-01T20:00:00+00:00", police(1))
        _found(history, 1, ref, "2021-03-02T08:00:00+00:00")
    catch_up(history.feed, history.projection)
    assert sorted(x.detail["episode_ref"] for x in due(history.projection, 0, later)) == [
        "E1",
        "E2",
        "E3",
    ]
    history.event(
        "return_interview.completed",
        "2021-03-03T10:00:00+00:00",
        child=child(1),
        episode_ref="E1",
    )
    declined = history.event(
        "return_interview.declined", "2021-03-03T10:00:00+00:00", child=child(1), episode_ref="E2"
    )
    catch_up(history.feed, history.projection)
    assert [x.detail["episode_ref"] for x in due(history.projection, 0, later)] == ["E3"]
    # The declined interview retracted: E2 waits for one again.
    history.retract(declined)
    catch_up(history.feed, history.projection)
    assert sorted(x.detail["episode_ref"] for x in due(history.projection, 0, later)) == [
        "E2",
        "E3",
    ]
    # A found after its interview was recorded: no deadline.
    history.episode("E4", "2021-03-04T20:00:00+00:00", police(1))
    history.event(
        "return_interview.completed",
        "2021-03-05T10:00:00+00:00",
        child=child(1),
        episode_ref="E4",
    )
    _found(history, 1, "E4", "2021-03-05T08:00:00+00:00")
    catch_up(history.feed, history.projection)
    assert sorted(x.detail["episode_ref"] for x in due(history.projection, 0, later)) == [
        "E2",
        "E3",
    ]


def test_a_corrected_found_time_moves_the_deadline(history: History) -> None:
    in_care(history, 1)
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    found = _found(history, 1, "E1", "2021-03-02T08:00:00+00:00")
    history.correct(found, found_at="2021-03-02T10:00:00+00:00")
    catch_up(history.feed, history.projection)
    (overdue,) = due(history.projection, 0, us("2030-01-01T00:00:00+00:00"))
    assert overdue.detail["due_by"] == "2021-03-05T10:00:00+00:00"
    assert withdrawn(history) == []  # it is still the episode's found time


# Review fixes: the repeat threshold in any order, corrections judged against the payload
# they replaced, a found told once per episode and also when its report comes later, runs
# never split, and the read side's cursor.


def test_an_episode_recorded_late_that_completes_a_window_is_told(history: History) -> None:
    history.episode("A1", "2021-03-01T12:00:00+00:00", police(7))
    a3 = history.episode("A3", "2021-03-20T12:00:00+00:00", police(7))
    history.episode("A2", "2021-03-10T12:00:00+00:00", police(7))  # recorded last
    assert raised(history) == [
        (n.REPEAT_THRESHOLD_REACHED, n.LA, ""),
        (n.REPEAT_THRESHOLD_REACHED, n.POLICE, ""),
    ]
    told = said(history)[0]
    # It cites the report of the episode at which the child reached 3 (A3's window), not
    # the one that arrived last: the same notice whatever order the reports come in.
    assert told.cause_id == eid(a3)
    assert told.detail["episodes_in_window"] == 3


def test_a_backfilled_episode_and_an_unrelated_correction_change_nothing(
    history: History,
) -> None:
    for ref, seen in (("B1", "2021-03-01T12:00:00+00:00"), ("B2", "2021-03-10T12:00:00+00:00")):
        history.episode(ref, seen, police(8))
    b3 = history.episode("B3", "2021-03-20T12:00:00+00:00", police(8))
    assert len(raised(history)) == 2
    # Backfilled between them: four in the window now, the same stretch: not told again.
    history.episode("B25", "2021-03-15T12:00:00+00:00", police(8))
    assert len(raised(history)) == 2
    history.correct(b3, classification="missing", risk="medium")  # e.g. a typo fixed
    assert withdrawn(history) == []
    # Corrected to a year later: no longer above the threshold there: withdrawn.
    history.correct(b3, last_seen_at="2022-03-20T12:00:00+00:00")
    assert withdrawn(history) == [
        (n.REPEAT_THRESHOLD_REACHED, "*", eid(b3), "record.corrected"),
    ]


def test_a_regrading_then_an_unrelated_correction_withdraws_nothing(history: History) -> None:
    history.event("cse.concern_raised", "2021-02-01T09:00:00+00:00", child=child(9))
    report = history.episode("C1", "2021-02-10T20:00:00+00:00", child(9, police=True), risk="low")
    assert [kind for kind, _, _ in raised(history)] == [n.RISK_REVIEW_ADVISED] * 2
    history.event(
        "missing.risk_regraded",
        "2021-02-11T09:00:00+00:00",
        child=child(9, police=True),
        episode_ref="C1",
        risk="high",
    )
    history.correct(report, missing_from={**report["payload"]["missing_from"]})  # the same
    assert withdrawn(history) == []


def test_a_found_entered_twice_is_told_once(history: History) -> None:
    in_care(history, 1)
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    first = _found(history, 1, "E1", "2021-03-02T08:00:00+00:00")
    _found(history, 1, "E1", "2021-03-02T08:00:00+00:00")  # entered again: a new event_id
    assert raised(history) == [
        (n.LOOKED_AFTER_CHILD_REPORTED, n.LA, "E1"),
        (n.LOOKED_AFTER_CHILD_FOUND, n.LA, "E1"),
    ]
    (overdue,) = due(history.projection, 0, us("2030-01-01T00:00:00+00:00"))
    assert overdue.cause_id == eid(first)


def test_a_found_recorded_before_its_report_is_told_with_the_report(history: History) -> None:
    in_care(history, 1)
    found = _found(history, 1, "E1", "2021-03-02T08:00:00+00:00")
    assert said(history) == []  # no occasion yet
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    assert raised(history) == [
        (n.LOOKED_AFTER_CHILD_REPORTED, n.LA, "E1"),
        (n.LOOKED_AFTER_CHILD_FOUND, n.LA, "E1"),
    ]
    notes = said(history)
    assert notes[1].cause_id == eid(found)
    assert notes[0].position == notes[1].position  # raised by the report's run
    (overdue,) = due(history.projection, 0, us("2030-01-01T00:00:00+00:00"))
    assert overdue.cause_id == eid(found)
    # A second report of the same incident judges nothing again.
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    assert len(raised(history)) == 2


def test_a_found_and_its_report_in_one_run_are_told_once(history: History) -> None:
    in_care(history, 1)
    found = example_event(
        "missing.found",
        occurred_at="2021-03-02T08:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        found_at="2021-03-02T08:00:00+00:00",
    )
    report = example_event(
        "missing.reported",
        occurred_at="2021-03-01T20:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        last_seen_at="2021-03-01T20:00:00+00:00",
    )
    history.record(report, found)
    history.record(found, report)  # again, the other way round: duplicates
    assert raised(history) == [
        (n.LOOKED_AFTER_CHILD_REPORTED, n.LA, "E1"),
        (n.LOOKED_AFTER_CHILD_FOUND, n.LA, "E1"),
    ]


def test_a_corrected_found_withdraws_only_when_its_new_time_is_not_the_episodes(
    history: History,
) -> None:
    in_care(history, 1)
    history.episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    found = _found(history, 1, "E1", "2021-03-02T08:00:00+00:00")
    # An earlier found recorded later: the episode's found time is its now; not told (the
    # episode's found was told), and the first found's notice stands.
    _found(history, 1, "E1", "2021-03-02T07:00:00+00:00")
    history.correct(found, found_at="2021-03-02T08:30:00+00:00")
    assert withdrawn(history) == []  # it was not the found time before the correction either
    (overdue,) = due(history.projection, 0, us("2030-01-01T00:00:00+00:00"))
    assert overdue.detail["found_at"] == "2021-03-02T08:30:00+00:00"


def _projected(history: History, page: int) -> list[tuple[Any, ...]]:
    store = ProjectionStore(history.settings.data_dir / f"paged-{page}.sqlite")
    catch_up(history.feed, store, page=page)
    rows = [tuple(x) for x in notices(store, 0)]
    deadlines = due(store, 0, us("2030-01-01T00:00:00+00:00"))
    store.close()
    return [*rows, *deadlines]


def test_a_run_split_by_a_page_gives_the_same_notices(history: History) -> None:
    in_care(history, 1)  # position 1, its own run
    report = example_event(
        "missing.reported",
        occurred_at="2021-03-01T20:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        last_seen_at="2021-03-01T20:00:00+00:00",
        risk="low",
    )
    found = example_event(
        "missing.found",
        occurred_at="2021-03-02T08:00:00+00:00",
        child=police(1),
        episode_ref="E1",
        found_at="2021-03-02T08:00:00+00:00",
    )
    interview = example_event(
        "return_interview.completed",
        occurred_at="2021-03-03T10:00:00+00:00",
        child=child(1),
        episode_ref="E1",
    )
    history.record(report, found, interview)  # positions 2-4, recorded together
    retraction = example_event(
        "record.retracted",
        occurred_at="2021-03-01T20:00:00+00:00",
        agency="police",
        target_event_id=report["event_id"],
        reason="recorded in error",
    )
    other = example_event(
        "missing.reported",
        occurred_at="2021-03-10T20:00:00+00:00",
        child=police(1),
        episode_ref="E2",
        last_seen_at="2021-03-10T20:00:00+00:00",
    )
    history.record(other, retraction)  # positions 5-6
    whole = _projected(history, 1000)
    assert [x[4] for x in whole] == [
        n.LOOKED_AFTER_CHILD_REPORTED,
        n.LOOKED_AFTER_CHILD_FOUND,
        n.LOOKED_AFTER_CHILD_REPORTED,
        "*",
        "*",
    ]
    for page in (1, 2, 3, 4, 5):
        assert _projected(history, page) == whole, page


def test_following_in_pages_applies_every_fact_once(history: History) -> None:
    in_care(history, 1)
    bodies = [
        example_event(
            "missing.reported",
            occurred_at=f"2021-03-{day:02}T20:00:00+00:00",
            child=police(1),
            episode_ref=f"E{day}",
            last_seen_at=f"2021-03-{day:02}T20:00:00+00:00",
        )
        for day in range(1, 8)
    ]
    history.record(*bodies[:3])
    history.record(*bodies[3:])
    store = ProjectionStore(history.settings.data_dir / "pages.sqlite")
    assert catch_up(history.feed, store, page=2, max_pages=1) == 4  # 1, then the run 2-4
    assert store.head()[0] == head(store) == 4
    assert catch_up(history.feed, store, page=2) == 4
    assert head(store) == 8
    assert catch_up(history.feed, store, page=2) == 0
    reported = [x for x in notices(store, 0) if x.kind == n.LOOKED_AFTER_CHILD_REPORTED]
    assert [x.detail["episode_ref"] for x in reported] == [f"E{day}" for day in range(1, 8)]


def test_notices_page_on_position_and_seq(history: History) -> None:
    store = history.projection
    assert notice_head(store) == (0, 0)
    in_care(history, 1)
    history.at("2022-02-01T09:00:00+00:00").episode("E1", "2021-03-01T20:00:00+00:00", police(1))
    for ref, seen in (("E2", "2021-03-02T20:00:00+00:00"), ("E3", "2021-03-03T20:00:00+00:00")):
        history.at("2022-02-02T09:00:00+00:00").episode(ref, seen, police(1))
    rows = said(history)
    # E3's run: looked after, and the threshold to two recipients, at one position.
    assert [(x.position, x.seq) for x in rows][-3:] == [(rows[-1].position, s) for s in (0, 1, 2)]
    assert notice_head(store) == (rows[-1].position, rows[-1].seq)
    assert notices(store, (0, 0)) == rows
    last = rows[-3]
    assert notices(store, (last.position, last.seq)) == rows[-2:]
    assert notices(store, (last.position, last.seq), 1) == [rows[-2]]
    assert notices(store, last.position) == []  # an int: after the whole position
    assert notices(store, last.position - 1) == rows[-3:]
    assert notices(store, notice_head(store)) == []
    # Recorded since: from the first position recorded since then, whatever the cursor.
    since = us("2022-02-02T00:00:00+00:00")
    recent = [x for x in rows if x.recorded_us >= since]
    assert recent and len(recent) < len(rows)
    assert notices(store, (0, 0), recorded_since_us=since) == recent
    assert notices(store, 0, recorded_since_us=since) == recent
    assert notices(store, (last.position, last.seq), recorded_since_us=since) == rows[-2:]
    assert notices(store, (0, 0), recorded_since_us=us("2030-01-01T00:00:00+00:00")) == []
    # Index-driven: what the read asks of SQLite.
    plans: list[str] = []
    store.db.set_trace_callback(plans.append)
    try:
        notices(store, (0, 0), recorded_since_us=since)
    finally:
        store.db.set_trace_callback(None)
    (first,) = [sql for sql in plans if "MIN(position)" in sql]
    (plan,) = store.db.execute(f"EXPLAIN QUERY PLAN {first}").fetchall()
    assert "USING COVERING INDEX notice_recorded (recorded_us>?)" in plan[3]
