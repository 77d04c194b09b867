"""The council's own missing records (looked-after-missing) and their reconciliation with
police episodes (missing-reconciliation, hub reconcile), on hand-built histories whose
answers are worked out by hand in the comments."""

from __future__ import annotations

from typing import Any

from contracts.examples import example_event
from projections import catch_up, parse_period, unmatched
from tests.history import History, child


def council(history: History, started: str, kind: str = "missing", **payload: Any) -> None:
    """A council record (care.missing_recorded) for child 1, who is looked after."""
    history.event(
        "care.missing_recorded",
        f"{started}T00:00:00+01:00",
        child=payload.pop("who", child(1)),
        episode_ref=f"LA-MIS-{started}-{kind}",
        kind=kind,
        started_on=started,
        ended_on=payload.pop("ended_on", started),
        payload=None,
        **({"police_episode_ref": None} | payload),
    )


def listed(history: History, period: str = "2017/18") -> dict[str, Any]:
    """What ``hub reconcile`` lists for the period."""
    catch_up(history.feed, history.projection)
    return unmatched(history.projection, parse_period(period), key=history.key)


def looked_after(history: History, who: dict[str, Any] | None = None) -> None:
    history.event("care.period_started", "2016-01-01T00:00:00+00:00", child=who or child(1))


def test_the_councils_own_records_count_missing_and_away_and_children(history: History) -> None:
    looked_after(history)
    council(history, "2017-05-01", "missing")
    council(history, "2017-06-01", "away")
    council(history, "2018-03-31", "away")  # the last day of 2017/18
    council(history, "2018-04-01", "missing")  # 2018/19
    council(history, "2017-07-01", "missing", who=child(2))
    assert history.figures("looked-after-missing", "2017/18") == {
        "missing": 2,
        "away": 2,
        "total": 4,
        "children": 2,
    }


def test_a_record_matches_a_police_episode_a_day_later_across_the_year_end_in_bst(
    history: History,
) -> None:
    looked_after(history)
    # The carer recorded 31 March; the police's last sighting is 00:30 BST on 1 April
    # (23:30 UTC on 31 March): a London date one day later, and in the next year.
    council(history, "2018-03-31")
    history.episode("E1", "2018-04-01T00:30:00+01:00", child(1))
    assert history.figures("missing-reconciliation", "2017/18") == {
        "matched": 1,
        "council_only": 0,
        "police_only": 0,
    }
    # The episode is counted in its own year, 2018/19, and is matched: no police_only. (A
    # council record later in 2018/19, too far from the episode to match, so that the
    # council's records for that year are held.)
    council(history, "2018-06-01")
    assert history.figures("missing-reconciliation", "2018/19") == {
        "matched": 0,
        "council_only": 1,
        "police_only": 0,
    }


def test_the_window_is_one_london_day_not_one_utc_day(history: History) -> None:
    looked_after(history)
    # 00:30 BST on 1 April is 31 March in UTC: two days from a record of 2 April there, one
    # day in London, so they match; a record of 3 April (two London days) does not.
    history.episode("E1", "2018-04-01T00:30:00+01:00", child(1))
    council(history, "2018-04-02")
    history.episode("E2", "2018-06-10T12:00:00+01:00", child(1))
    council(history, "2018-06-12")
    assert history.figures("missing-reconciliation", "2018/19") == {
        "matched": 1,
        "council_only": 1,
        "police_only": 1,
    }


def test_two_council_records_a_day_apart_and_one_police_episode(history: History) -> None:
    looked_after(history)
    council(history, "2017-06-10")
    council(history, "2017-06-11")
    history.episode("E1", "2017-06-11T22:00:00+01:00", child(1))
    # 11 June is 0 days from the episode, 10 June 1 day: the 11th matches, the 10th is alone.
    assert history.figures("missing-reconciliation", "2017/18") == {
        "matched": 1,
        "council_only": 1,
        "police_only": 0,
    }
    [alone] = listed(history)["council_only"]
    assert alone["started_on"] == "2017-06-10" and alone["kind"] == "missing"


def test_equal_differences_go_to_the_earlier_council_record(history: History) -> None:
    looked_after(history)
    council(history, "2017-09-12")
    council(history, "2017-09-10")
    history.episode("E1", "2017-09-11T12:00:00+01:00", child(1))
    catchall = listed(history)
    assert [r["started_on"] for r in catchall["council_only"]] == ["2017-09-12"]


def test_a_police_reference_given_by_the_council_matches_first(history: History) -> None:
    looked_after(history)
    history.episode("E9", "2017-07-05T10:00:00+01:00", child(1))
    history.episode("E10", "2017-07-01T10:00:00+01:00", child(1))
    # Named E9, four days apart: matched by the reference; E10, the same day, is then left.
    council(history, "2017-07-01", police_episode_ref="E9")
    assert history.figures("missing-reconciliation", "2017/18") == {
        "matched": 1,
        "council_only": 0,
        "police_only": 1,
    }
    [left] = listed(history)["police_only"]
    assert left["last_seen_on"] == "2017-07-01" and left["kind"] == "missing"


def test_only_looked_after_childrens_episodes_are_police_only(history: History) -> None:
    looked_after(history)
    history.episode("E1", "2017-07-05T10:00:00+01:00", child(1))  # looked after: police_only
    history.episode("E2", "2017-07-05T10:00:00+01:00", child(2, la=False))  # not: counted nowhere
    council(history, "2017-09-01", who=child(3))  # the council's records are held
    assert history.figures("missing-reconciliation", "2017/18")["police_only"] == 1


def test_a_link_recorded_later_matches_from_then_and_as_of_before_it_does_not(
    history: History,
) -> None:
    history.at("2018-01-10T09:00:00+00:00")
    looked_after(history)
    council(history, "2017-08-01")
    # The police know the child only by their own person id, with no shared identifier.
    police = {"ids": {"police_person_id": "P-77"}}
    history.episode("E1", "2017-08-01T21:00:00+01:00", police)
    before = {"matched": 0, "council_only": 1, "police_only": 0}  # P-77 not looked after
    assert history.figures("missing-reconciliation", "2017/18") == before
    history.at("2018-06-01T09:00:00+01:00")
    history.event("identity.linked", "2018-06-01T09:00:00+01:00", child=child(1), other=police)
    assert history.figures("missing-reconciliation", "2017/18") == {
        "matched": 1,
        "council_only": 0,
        "police_only": 0,
    }
    assert history.figures("missing-reconciliation", "2017/18", "2018-05-01") == before


def test_a_retracted_council_record_counts_nowhere_and_frees_its_episode(
    history: History,
) -> None:
    looked_after(history)
    history.episode("E1", "2017-10-02T10:00:00+01:00", child(1))
    [record] = history.record(
        example_event(
            "care.missing_recorded",
            occurred_at="2017-10-02T00:00:00+01:00",
            child=child(1),
            started_on="2017-10-02",
            ended_on="2017-10-03",
            police_episode_ref=None,
        )
    )
    assert history.figures("missing-reconciliation", "2017/18")["matched"] == 1
    history.retract(record)
    assert history.figures("missing-reconciliation", "2017/18") == {
        "matched": 0,
        "council_only": 0,
        "police_only": 1,
    }
    assert history.figures("looked-after-missing", "2017/18")["total"] == 0
