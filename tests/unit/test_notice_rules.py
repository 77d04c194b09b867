"""The notifications' rules as pure functions, and the projector feeding them once per fact."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from contracts import notifications as n
from contracts.examples import example_event
from hub.feed import StoredFact
from projections import ProjectionStore, notices
from projections._facts import Fact
from projections._notices import (
    DAY_US,
    Episode,
    attendance,
    cp_plan_at,
    cse_at,
    graded_low,
    in_window,
    looked_after_found,
    looked_after_reported,
    outstanding,
    repeat_candidates,
    repeat_reached,
    risk_review,
    utc,
)
from projections._projector import Projector
from projections._time import to_us

HOUR_US = DAY_US // 24


def us(moment: str) -> int:
    return to_us(dt.datetime.fromisoformat(moment))


def fact(event_type: str, occurred: str, alive: bool = True, **payload: Any) -> Fact:
    return Fact(
        uuid.uuid4().bytes, 1, "local_authority", event_type, b"c", us(occurred), payload, alive
    )


def episode(**changes: Any) -> Episode:
    values: dict[str, Any] = {
        "ref": "E1",
        "root": b"r",
        "last_seen_us": us("2021-03-01T20:00:00+00:00"),
        "classification": "missing",
        "risk": "medium",
        "looked_after": True,
        "found_us": us("2021-03-02T08:00:00+00:00"),
        "missing_from": "placement",
    }
    return Episode(**{**values, **changes})


def test_times_are_told_in_utc() -> None:
    assert utc(us("2021-06-01T13:00:00+01:00")) == "2021-06-01T12:00:00+00:00"
    assert utc(us("2021-06-01T13:00:00.5+01:00")) == "2021-06-01T12:00:00.500000+00:00"


def test_a_looked_after_child_reported() -> None:
    assert looked_after_reported(episode(looked_after=False)) is None
    assert looked_after_reported(episode()) == (
        n.LOOKED_AFTER_CHILD_REPORTED,
        {
            "episode_ref": "E1",
            "last_seen_at": "2021-03-01T20:00:00+00:00",
            "risk": "medium",
            "classification": "missing",
            "missing_from_kind": "placement",
        },
    )


def test_the_found_that_gives_the_episode_its_found_time() -> None:
    found = us("2021-03-27T23:30:00+00:00")
    assert looked_after_found(None, found) is None
    assert looked_after_found(episode(found_us=found + 1), found) is None
    assert looked_after_found(episode(found_us=found, looked_after=False), found) is None
    assert looked_after_found(episode(found_us=found), found) == (
        n.LOOKED_AFTER_CHILD_FOUND,
        {
            "episode_ref": "E1",
            "found_at": "2021-03-27T23:30:00+00:00",
            "return_interview_due_by": "2021-03-30T23:30:00+00:00",  # 72 h, across BST
        },
    )


@pytest.mark.parametrize(
    ("risk", "classification", "low"),
    [
        ("no_apparent_risk", "missing", True),
        ("low", "missing", True),
        ("medium", "absent", True),
        ("medium", "missing", False),
        ("high", "missing", False),
    ],
)
def test_graded_low(risk: str, classification: str, low: bool) -> None:
    assert graded_low(episode(risk=risk, classification=classification)) is low


def test_an_open_case_is_opened_and_not_closed_by_then() -> None:
    at = us("2021-03-01T20:00:00+00:00")
    opened = fact("cse.case_opened", "2020-01-01T00:00:00+00:00", case_ref="C1")
    closed_after = fact("cse.case_closed", "2021-03-01T20:00:01+00:00", case_ref="C1")
    closed_at = fact("cse.case_closed", "2021-03-01T20:00:00+00:00", case_ref="C1")
    other_closed = fact("cse.case_closed", "2021-01-01T00:00:00+00:00", case_ref="C2")
    assert cse_at([opened], at) == (True, None)
    assert cse_at([opened, closed_after], at) == (True, None)
    assert cse_at([opened, closed_at], at) == (False, None)
    assert cse_at([opened, other_closed], at) == (True, None)
    assert cse_at([fact("cse.case_opened", "2021-03-02T00:00:00+00:00", case_ref="C1")], at) == (
        False,
        None,
    )
    dead = fact("cse.case_opened", "2020-01-01T00:00:00+00:00", alive=False, case_ref="C1")
    assert cse_at([dead], at) == (False, None)


def test_a_concern_in_the_90_days_up_to_last_seen() -> None:
    at = us("2021-03-01T20:00:00+00:00")

    def concern(moment: str) -> Fact:
        return fact("cse.concern_raised", moment)

    assert cse_at([concern("2020-12-01T20:00:00+00:00")], at) == (False, 90)  # exactly 90 days
    assert cse_at([concern("2020-12-01T19:59:59+00:00")], at) == (False, None)
    assert cse_at([concern("2021-03-01T20:00:01+00:00")], at) == (False, None)  # after
    assert cse_at([concern("2021-03-01T20:00:00+00:00")], at) == (False, 0)
    # Whole days, floor; the latest concern counts.
    latest = concern("2021-02-27T21:00:00+00:00")
    assert cse_at([concern("2021-01-01T00:00:00+00:00"), latest], at) == (False, 1)


def test_a_risk_review() -> None:
    concern = fact("cse.concern_raised", "2021-02-20T20:00:00+00:00")
    assert risk_review(episode(risk="low"), []) is None
    assert risk_review(episode(risk="medium"), [concern]) is None
    assert risk_review(episode(risk="low"), [concern]) == (
        n.RISK_REVIEW_ADVISED,
        {
            "episode_ref": "E1",
            "risk": "low",
            "classification": "missing",
            "open_cse_case": False,
            "cse_concern_days_ago": 9,
        },
    )


def _times(*days: float) -> list[tuple[str, int]]:
    start = us("2021-01-01T00:00:00+00:00")
    return [(f"E{i}", start + int(d * DAY_US)) for i, d in enumerate(days)]


def test_the_window_is_90_days_of_24_hours_ending_at_last_seen() -> None:
    episodes = _times(0, 0.5, 90)
    assert in_window(episodes, episodes[2][1]) == 2  # day 0 is exactly 90 days before: out
    assert in_window(episodes, episodes[1][1]) == 2


def _told(episodes: list[tuple[str, int]], order: list[int]) -> list[tuple[str, str, int]]:
    """Episodes ``episodes`` learnt of in ``order``: (the episode learnt of, the episode
    whose window reached the threshold, its count) for each notice the rule raises."""
    known: list[tuple[str, int]] = []
    told: list[int] = []  # last_seen of the episodes told about (none withdrawn here)
    said = []
    for i in order:
        known.append(episodes[i])
        at = repeat_reached(known, episodes[i][1], told)
        if at is not None:
            ref, (kind, detail) = at
            assert kind == n.REPEAT_THRESHOLD_REACHED
            assert detail["window_days"] == 90 and detail["threshold"] == 3
            said.append((episodes[i][0], ref, detail["episodes_in_window"]))
            told.append(dict(known)[ref])
    return said


def test_the_threshold_is_told_once_per_stretch_above_it() -> None:
    episodes = _times(0, 10, 20, 30, 200, 201, 202)
    assert _told(episodes, list(range(7))) == [("E2", "E2", 3), ("E6", "E6", 3)]
    assert repeat_reached(episodes[:3], episodes[2][1], []) == (
        "E2",
        (n.REPEAT_THRESHOLD_REACHED, {"episodes_in_window": 3, "window_days": 90, "threshold": 3}),
    )
    # Told at E2 (day 20): E3 (day 30) is above the threshold, within 90 days of it: not again.
    assert repeat_reached(episodes[:4], episodes[3][1], [episodes[2][1]]) is None
    spread = _times(0, 100, 200)
    assert repeat_reached(spread, spread[2][1], []) is None


def test_an_episode_recorded_late_completes_the_window_it_fell_in() -> None:
    # E0, E1 and E3 known (two in any window); E2, between E1 and E3, arrives last: the
    # windows ending at E2 (E0, E1, E2) and at E3 (E1, E2, E3) hold three: told once, at E2.
    episodes = _times(0, 10, 20, 95)
    assert _told(episodes, [0, 1, 3, 2]) == [("E2", "E2", 3)]
    # Only the window ending at a later episode reaches three: told there, caused by E1.
    later = _times(0, 50, 80)
    assert repeat_candidates(later, later[1][1]) == [("E2", later[2][1])]
    assert _told(later, [0, 2, 1]) == [("E1", "E2", 3)]
    # In every order, the same stretch is told once.
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]):
        assert len(_told(episodes, order)) == 1, order


def test_a_backfilled_episode_before_a_told_one_is_not_told_again() -> None:
    # E0, E1, E3 told at E3 (three); E2, recorded later, makes three in the window ending
    # at E2 too, but E3 (told) is within 90 days of it: the same stretch.
    episodes = _times(0, 9, 14, 19)
    assert _told(episodes, [0, 1, 3, 2]) == [("E3", "E3", 3)]
    # After a quiet spell (90 days or more between the windows' ends) it is told again.
    apart = _times(0, 10, 20, 110, 111, 112)
    assert _told(apart, [3, 4, 5, 0, 1, 2]) == [("E5", "E5", 3), ("E2", "E2", 3)]


def test_episodes_seen_at_the_same_moment_are_told_once() -> None:
    episodes = _times(0, 10, 10)
    assert _told(episodes, [0, 1, 2]) == [("E2", "E1", 3)]  # E1 and E2 tie: E1's ref first
    four = _times(0, 5, 10, 10)
    assert _told(four, [0, 1, 2, 3]) == [("E2", "E2", 3)]  # already told at E2


def test_a_child_protection_plan_at_a_moment() -> None:
    at = us("2021-03-01T10:00:00+00:00")
    started = fact("cp.plan_started", "2021-01-01T00:00:00+00:00", plan_ref="P1")
    ended = fact("cp.plan_ended", "2021-02-01T00:00:00+00:00", plan_ref="P1")
    other = fact("cp.plan_started", "2021-02-15T00:00:00+00:00", plan_ref="P2")
    later = fact("cp.plan_started", "2021-03-01T10:00:01+00:00", plan_ref="P3")
    assert cp_plan_at([started], at)
    assert not cp_plan_at([started, ended], at)
    assert cp_plan_at([started, ended, other], at)
    assert not cp_plan_at([later], at)


def test_an_emergency_attendance() -> None:
    ed = {"setting": "emergency_department", "concern": "injury"}
    assert attendance(ed, False, False) is None
    assert attendance({**ed, "setting": "gp"}, True, True) is None
    assert attendance(ed, True, False) == (
        n.ATTENDANCE_OF_CHILD_KNOWN_TO_CARE,
        {
            "setting": "emergency_department",
            "concern": "injury",
            "looked_after": True,
            "cp_plan": False,
        },
    )


def test_what_is_outstanding() -> None:
    assert outstanding({"a", "b"}, set()) == {"a", "b"}
    assert outstanding({"a", "b"}, {"a"}) == {"b"}
    assert outstanding({"a", "b"}, {"*"}) == set()


def _stored(body: dict[str, Any], position: int, recorded_us: int) -> StoredFact:
    return StoredFact(
        position=position,
        recorded_us=recorded_us,
        agency=body["source"]["agency"],
        event_type=body["event_type"],
        event_id=body["event_id"],
        body=body,
        child_id=str(uuid.UUID(int=7)),
    )


def test_a_fact_the_projector_sees_twice_is_evaluated_once() -> None:
    store = ProjectionStore(":memory:")
    care = example_event("care.period_started", occurred_at="2021-01-01T00:00:00+00:00")
    report = example_event(
        "missing.reported",
        occurred_at="2021-03-01T20:00:00+00:00",
        episode_ref="E1",
        last_seen_at="2021-03-01T20:00:00+00:00",
    )
    with store.writing():
        projector = Projector(store)
        for position, body in enumerate((care, report, report), start=1):
            projector.apply(_stored(body, position, position * HOUR_US))
        projector.flush()
    (notice,) = notices(store, 0)
    assert (notice.kind, notice.position, notice.recorded_us) == (
        n.LOOKED_AFTER_CHILD_REPORTED,
        2,
        2 * HOUR_US,
    )
    assert notice.cause_id == uuid.UUID(report["event_id"]).bytes
