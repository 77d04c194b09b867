"""The forum pack's overdue return interviews (issue 19), on hand-built histories with
answers worked out by hand: the 72 hours from ``found_at``, completed or declined, the London
month of the find, looked after at ``last_seen_at``, retractions, and when it is judged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from projections import catch_up
from projections._forum import overdue_return_interviews
from projections._time import parse_period, to_us
from tests.history import History, child

NOW = dt.datetime(2021, 6, 1, tzinfo=dt.UTC)
FOUND = "2021-03-10T12:00:00+00:00"  # GMT: 12:00 in London too
HOME = {"kind": "placement", "placement_ref": "SC100001"}


def _looked_after(history: History, who: dict[str, Any], since: str = "2021-01-01") -> None:
    history.event("care.period_started", f"{since}T00:00:00+00:00", child=who)
    history.event("care.placement_started", f"{since}T00:00:00+00:00", child=who,
                  placement_ref="SC100001", placement_type="childrens_home")  # fmt: skip


def _after(hours: float, start: str = FOUND) -> str:
    return (dt.datetime.fromisoformat(start) + dt.timedelta(hours=hours)).isoformat()


def _overdue(history: History, month: str, now: dt.datetime = NOW) -> dict[str, Any]:
    overdue: dict[str, Any] = history.forum(month, now=now)["return_interviews_overdue"]
    return overdue


def test_completed_or_declined_within_72_hours_is_in_time_anything_else_overdue(
    history: History,
) -> None:
    history.at("2021-06-01T00:00:00+00:00")
    who = child(1)
    _looked_after(history, who)
    grades = {"E1": "low", "E2": "low", "E3": "high", "E4": "medium", "E5": "low", "E6": "low"}
    for ref, risk in grades.items():
        history.episode(ref, _after(-5), who, found=FOUND, risk=risk, missing_from=HOME)
    history.event("return_interview.completed", _after(71), child=who, episode_ref="E1")
    history.event("return_interview.declined", _after(70), child=who, episode_ref="E2")
    history.event("return_interview.completed", _after(73), child=who, episode_ref="E3")
    # E4: nothing at all. E5: offered in time, never done. E6: done on the 72nd hour exactly.
    history.event("return_interview.offered", _after(1), child=who, episode_ref="E5")
    history.event("return_interview.completed", _after(72), child=who, episode_ref="E6")

    overdue = _overdue(history, "2021-03")
    assert {k: overdue[k] for k in ("found", "in_time", "not_yet_due", "overdue")} == {
        "found": 6, "in_time": 3, "not_yet_due": 0, "overdue": 3,
    }  # fmt: skip
    assert overdue["by_risk"] == {"no_apparent_risk": 0, "low": 1, "medium": 1, "high": 1}
    assert overdue["by_placement_type"] == {"childrens_home": 3}
    key = history.key(_root(history, "E1"))
    # In the order found, then by reference (not shown): E3, E4, E5. Due 13 March 12:00.
    assert overdue["episodes"] == [
        {"child": key, "found_at": "2021-03-10T12:00+00:00", "due_by": "2021-03-13T12:00+00:00",
         "highest_risk": risk, "placement_type": "childrens_home",
         "placement_ref": "SC100001", "interview": interview}
        for risk, interview in (
            ("high", "completed late"), ("medium", "none recorded"),
            ("low", "offered, not completed"),
        )
    ]  # fmt: skip
    # The projection's column: a refusal within 72 h, and only that.
    declined = dict(
        history.projection.db.execute(
            "SELECT ref, ri_declined_72h FROM episode WHERE to_pos IS NULL"
        ).fetchall()
    )
    assert declined == {"E1": 0, "E2": 1, "E3": 0, "E4": 0, "E5": 0, "E6": 0}


def test_a_refusal_after_72_hours_is_not_in_time(history: History) -> None:
    history.at("2021-06-01T00:00:00+00:00")
    _looked_after(history, child(1))
    history.episode("L1", _after(-5), child(1), found=FOUND, missing_from=HOME)
    history.event("return_interview.declined", _after(73), child=child(1), episode_ref="L1")
    [row] = _overdue(history, "2021-03")["episodes"]
    assert row["interview"] == "offered, not completed"


def test_the_month_is_the_finds_in_london_time(history: History) -> None:
    history.at("2021-06-01T00:00:00+00:00")
    who = child(1)
    _looked_after(history, who)
    # 22:30 UTC on 31 March 2021 is 23:30 BST: March. 23:30 UTC is 00:30 BST on 1 April.
    history.episode("M1", "2021-03-31T20:00:00+00:00", who, found="2021-03-31T22:30:00+00:00")
    history.episode("A1", "2021-03-31T20:00:00+00:00", who, found="2021-03-31T23:30:00+00:00")
    # Last seen in February, found on 1 March: the find's month, March.
    history.episode("M2", "2021-02-27T10:00:00+00:00", who, found="2021-03-01T10:00:00+00:00")
    # 23:30 UTC on 28 February is 23:30 GMT: February.
    history.episode("F1", "2021-02-28T20:00:00+00:00", who, found="2021-02-28T23:30:00+00:00")
    march, april, february = (_overdue(history, m) for m in ("2021-03", "2021-04", "2021-02"))
    assert (march["overdue"], april["overdue"], february["overdue"]) == (2, 1, 1)
    assert [e["found_at"] for e in march["episodes"]] == [
        "2021-03-01T10:00+00:00", "2021-03-31T23:30+01:00",
    ]  # fmt: skip
    assert [e["due_by"] for e in april["episodes"]] == ["2021-04-04T00:30+01:00"]


def test_only_looked_after_children_and_living_finds_count(history: History) -> None:
    history.at("2021-06-01T00:00:00+00:00")
    _looked_after(history, child(1))
    _looked_after(history, child(3), since="2021-03-11")  # after child 3 was last seen
    history.episode("N1", _after(-5), child(2), found=FOUND)  # never looked after
    history.episode("N3", _after(-5), child(3), found=FOUND)  # looked after only from later
    history.episode("R1", _after(-5), child(1))
    find = history.event("missing.found", FOUND, child=child(1), episode_ref="R1", found_at=FOUND)
    history.episode("K1", _after(-5), child(1))
    k1 = history.event("missing.found", FOUND, child=child(1), episode_ref="K1", found_at=FOUND)
    assert _overdue(history, "2021-03")["overdue"] == 2
    history.retract(find)  # found in error: no find, nothing due
    overdue = _overdue(history, "2021-03")
    assert (overdue["found"], overdue["overdue"]) == (1, 1)
    # A find corrected into April (01:00 BST on 1 April) leaves March for April.
    history.correct(k1, found_at="2021-04-01T00:00:00+00:00")
    assert _overdue(history, "2021-03")["found"] == 0
    assert _overdue(history, "2021-04")["overdue"] == 1


def test_a_find_less_than_72_hours_old_is_not_yet_due(history: History) -> None:
    history.at("2021-06-01T00:00:00+00:00")
    _looked_after(history, child(1))
    history.episode("D1", _after(-5), child(1), found=FOUND)
    due = dt.datetime.fromisoformat(FOUND) + dt.timedelta(hours=72)
    for now, expected in (
        (due - dt.timedelta(hours=1), (1, 0)),
        (due, (1, 0)),  # on the 72nd hour an interview would still be in time
        (due + dt.timedelta(minutes=1), (0, 1)),
    ):
        overdue = _overdue(history, "2021-03", now)
        assert (overdue["not_yet_due"], overdue["overdue"]) == expected, now


def test_as_the_records_stood_an_interview_recorded_late_was_overdue(history: History) -> None:
    who = child(1)
    history.at("2021-03-01T00:00:00+00:00")
    _looked_after(history, who)
    history.at(_after(1)).episode("S1", _after(-5), who, found=FOUND)
    # Done at 70 hours, but the council recorded it only at 100 hours.
    history.at(_after(100)).event(
        "return_interview.completed", _after(70), child=who, episode_ref="S1"
    )
    catch_up(history.feed, history.projection)
    march = parse_period("2021-03")
    store = history.projection

    def as_of(hours: float) -> dict[str, Any]:
        moment = dt.datetime.fromisoformat(_after(hours))
        with store.reading() as db:
            position = store.at_time(to_us(moment))[0]
            return overdue_return_interviews(
                db, march, key=history.key, at=moment, position=position
            )

    assert (as_of(50)["not_yet_due"], as_of(50)["overdue"]) == (1, 0)
    assert as_of(80)["overdue"] == 1  # due, and nothing recorded yet
    assert (as_of(100)["in_time"], as_of(100)["overdue"]) == (1, 0)
    with store.reading() as db:  # as the records stand now
        now = overdue_return_interviews(db, march, key=history.key, at=NOW)
    assert (now["in_time"], now["overdue"]) == (1, 0)


def test_a_correction_replaces_the_interviews_payload_not_when_it_happened(
    history: History,
) -> None:
    history.at("2021-06-01T00:00:00+00:00")
    who = child(1)
    _looked_after(history, who)
    history.episode("C1", _after(-5), who, found=FOUND)
    late = history.event("return_interview.completed", _after(75), child=who, episode_ref="C1")
    assert _overdue(history, "2021-03")["overdue"] == 1
    history.event(
        "record.corrected",
        _after(71),
        agency="local_authority",
        target_event_id=late["event_id"],
        replacement=late["payload"],
    )
    # A correction replaces the payload, not occurred_at: still late, still overdue.
    assert _overdue(history, "2021-03")["overdue"] == 1


def _root(history: History, ref: str) -> bytes:
    (root,) = history.projection.db.execute(
        "SELECT root FROM episode WHERE to_pos IS NULL AND ref = ?", (ref,)
    ).fetchone()
    return bytes(root)
