"""missing-occasions on hand-built histories: periods cut in London time, cohorts as they
stood at last_seen_at, corrections, retractions, duplicates and orphans."""

from __future__ import annotations

from tests.history import History, child


def test_periods_are_cut_in_london_time_across_bst(history: History) -> None:
    # 00:30 BST on 1 April 2017 is 23:30 UTC on 31 March: the new financial year.
    history.episode("E-apr17", "2017-03-31T23:30:00+00:00", child(1))
    # 23:59 BST on 31 March 2017: still the old year.
    history.episode("E-mar17", "2017-03-31T22:59:00+00:00", child(2))
    # BST began on 25 March 2018, so 23:30 UTC on 31 March 2018 is 1 April 2018 in London.
    history.episode("E-apr18", "2018-03-31T23:30:00+00:00", child(3))
    # Midnight at +01:00 on 1 January 2018 is 23:00 on 31 December 2017 in London (GMT).
    history.episode("E-dec17", "2018-01-01T00:00:00+01:00", child(4))

    def total(period: str) -> int:
        return int(history.figures("missing-occasions", period)["all.total"])

    assert total("2016/17") == 1
    assert total("2017/18") == 2
    assert total("2018/19") == 1
    assert total("2017") == 3  # both sides of the April boundary, and the December one
    assert total("2018") == 1
    assert total("2017-12") == 1
    assert total("2018-01") == 0
    assert total("2017-04") == 1


def test_custom_range_is_inclusive_of_both_days_in_london_time(history: History) -> None:
    history.episode("E1", "2010-04-05T23:30:00+00:00", child(1))  # 00:30 BST 6 April: in
    history.episode("E2", "2011-04-05T22:30:00+00:00", child(2))  # 23:30 BST 5 April: in
    history.episode("E3", "2011-04-05T23:30:00+00:00", child(3))  # 00:30 BST 6 April: out
    history.episode("E4", "2010-04-05T22:59:00+00:00", child(4))  # 23:59 BST 5 April: out

    figures = history.figures("missing-occasions", "2010-04-06..2011-04-05")

    assert figures["all.total"] == 2


def test_looked_after_cohort_is_the_status_at_each_episode(history: History) -> None:
    c = child(1)
    history.episode("E1", "2017-05-01T10:00:00+00:00", c, classification="absent")
    history.event("care.period_started", "2017-06-01T09:00:00+00:00", child=c, uasc=False)
    history.episode("E2", "2017-07-01T10:00:00+00:00", c)
    history.event("care.period_ended", "2017-09-01T09:00:00+00:00", child=c)
    history.episode("E3", "2017-10-01T10:00:00+00:00", c)
    # A UASC child, looked after from before its episode.
    u = child(2)
    history.event("care.period_started", "2017-01-01T09:00:00+00:00", child=u, uasc=True)
    history.episode("E4", "2017-08-01T10:00:00+00:00", u, classification="absent")

    figures = history.figures("missing-occasions", "2017/18")

    assert figures == {
        "all.missing": 2,  # E2, E3
        "all.absent": 2,  # E1, E4
        "all.total": 4,
        "looked_after.missing": 1,  # E2
        "looked_after.absent": 1,  # E4
        "looked_after.total": 2,
        "uasc.missing": 0,
        "uasc.absent": 1,
        "uasc.total": 1,
        "orphans": 0,
    }


def test_status_takes_effect_at_the_moment_it_happened_not_when_recorded(
    history: History,
) -> None:
    # The care period was recorded a year late, but began before the episode.
    c = child(1)
    history.at("2017-07-02T00:00:00+00:00").episode("E1", "2017-07-01T10:00:00+00:00", c)
    assert history.figures("missing-occasions", "2017/18")["looked_after.total"] == 0

    history.at("2018-09-01T00:00:00+00:00").event(
        "care.period_started", "2017-06-30T10:00:00+00:00", child=c, uasc=False
    )

    assert history.figures("missing-occasions", "2017/18")["looked_after.total"] == 1
    before = history.figures("missing-occasions", "2017/18", as_of="2018-08-31T23:59:59+00:00")
    assert before["looked_after.total"] == 0


def test_a_correction_from_absent_to_missing_counts_as_its_replacement(
    history: History,
) -> None:
    report = history.at("2018-01-01T00:00:00+00:00").episode(
        "E1", "2017-11-01T10:00:00+00:00", child(1), classification="absent"
    )
    history.at("2018-02-01T00:00:00+00:00").correct(report, classification="missing")

    now = history.figures("missing-occasions", "2017/18")
    then = history.figures("missing-occasions", "2017/18", as_of="2018-01-15T00:00:00+00:00")

    assert (now["all.missing"], now["all.absent"]) == (1, 0)
    assert (then["all.missing"], then["all.absent"]) == (0, 1)


def test_a_correction_that_moves_last_seen_moves_the_episode_between_periods(
    history: History,
) -> None:
    report = history.episode("E1", "2018-03-30T10:00:00+00:00", child(1))
    history.correct(report, last_seen_at="2018-04-02T10:00:00+00:00")

    assert history.figures("missing-occasions", "2017/18")["all.total"] == 0
    assert history.figures("missing-occasions", "2018/19")["all.total"] == 1


def test_a_retracted_episode_counts_nowhere(history: History) -> None:
    report = history.at("2018-01-01T00:00:00+00:00").episode(
        "E1", "2017-11-01T10:00:00+00:00", child(1), found="2017-11-02T10:00:00+00:00"
    )
    history.episode("E2", "2017-11-05T10:00:00+00:00", child(1))
    history.at("2018-02-01T00:00:00+00:00").retract(report)

    assert history.figures("missing-occasions", "2017/18")["all.total"] == 1
    assert history.figures("missing-children", "2017/18")["total"] == 1
    # The episode's found record now cites an episode never (livingly) reported: an orphan.
    assert history.figures("missing-occasions", "2017/18")["orphans"] == 1
    then = history.figures("missing-occasions", "2017/18", as_of="2018-01-15T00:00:00+00:00")
    assert (then["all.total"], then["orphans"]) == (2, 0)


def test_a_duplicate_is_counted_once(history: History) -> None:
    report = history.episode("E1", "2017-11-01T10:00:00+00:00", child(1))
    history.record(report)  # the same event, re-sent
    # The same incident reported again under a new event id is the same occasion.
    history.episode("E1", "2017-11-01T10:05:00+00:00", child(1))

    figures = history.figures("missing-occasions", "2017/18")

    assert figures["all.total"] == 1
    assert history.ask("missing-occasions", "2017/18")["provenance"]["events"] == 2


def test_an_orphan_return_interview_is_no_occasion_but_is_counted(history: History) -> None:
    history.event(
        "return_interview.completed",
        "2017-10-03T10:00:00+00:00",
        child=child(1),
        episode_ref="E-never-reported",
    )
    history.event(
        "missing.found",
        "2016-10-03T10:00:00+00:00",
        child=child(1),
        episode_ref="E-old",
        found_at="2016-10-03T10:00:00+00:00",
    )

    result = history.ask("missing-occasions", "2017/18")

    # No police report at all: no occasions held, not zero of them; the orphans still show.
    assert result["records_held"] == {
        "held": False,
        "reason": "no records held: no police missing reports (missing.reported) have ever"
        " been imported",
    }
    assert result["figures"]["all.total"]["value"] is None
    assert result["orphans"] == 1  # the interview in 2017/18; the 2016 find is another year
    assert history.figures("missing-children", "2017/18")["orphans"] == 1
    assert history.figures("return-interview-findings", "2017/18")["orphans"] == 1

    # The police report arrives late: the interview now belongs to an occasion.
    history.episode("E-never-reported", "2017-10-01T10:00:00+00:00", child(1))
    figures = history.figures("missing-occasions", "2017/18")
    assert (figures["all.total"], figures["orphans"]) == (1, 0)
