"""The monthly forum pack on hand-built histories with known answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from projections import render_forum
from tests.history import History, child, small_city

POLICE_ONLY = child(9, nhs=False, la=False, police=True)
PREPARED = dt.datetime(2018, 5, 1, tzinfo=dt.UTC)


def _listed(pack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["child"]: row for row in pack["repeat_missing"]}


def _episodes(history: History, who: dict[str, Any], *last_seen: str, prefix: str) -> list[Any]:
    return [
        history.episode(f"{prefix}{i}", when, who, found=when.replace("T10", "T22"))
        for i, when in enumerate(last_seen)
    ]


def test_the_window_decides_the_list_not_the_month(history: History) -> None:
    # Child 1: three episodes in January and February, none in March: listed for March.
    _episodes(history, child(1), "2018-01-10T10:00:00+00:00", "2018-02-01T10:00:00+00:00",
              "2018-02-20T10:00:00+00:00", prefix="A")  # fmt: skip
    # Child 2: two episodes in the window: not listed, however recent.
    _episodes(history, child(2), "2018-03-05T10:00:00+00:00", "2018-03-06T10:00:00+00:00",
              prefix="B")  # fmt: skip
    # Child 3: three, but the first is on 31 December: outside the 90 days from 1 January.
    _episodes(history, child(3), "2017-12-31T10:00:00+00:00", "2018-03-01T10:00:00+00:00",
              "2018-03-02T10:00:00+00:00", prefix="C")  # fmt: skip
    pack = history.forum("2018-03")
    [row] = pack["repeat_missing"]
    # On February's list too (its window ends 28 February): continuing.
    assert (row["episodes_in_window"], row["episodes_in_month"], row["status"]) == (
        3,
        0,
        "continuing",
    )
    assert row["hours_missing_in_window"] == 36.0  # three episodes of 12 hours
    assert (row["return_interviews_due"], row["return_interviews_completed"]) == (3, 0)
    assert pack["window"] == {"start": "2018-01-01", "end": "2018-03-31"}
    # With a longer window child 3 counts too; with a threshold of 2, child 2 does.
    assert len(history.forum("2018-03", window_days=91)["repeat_missing"]) == 2
    assert len(history.forum("2018-03", threshold=2)["repeat_missing"]) == 3


def test_the_month_ends_at_midnight_in_london(history: History) -> None:
    # 23:30 UTC on 31 March 2018 is 00:30 BST on 1 April: April's episode, not March's.
    _episodes(history, child(1), "2018-03-20T10:00:00+00:00", "2018-03-25T10:00:00+01:00",
              "2018-03-31T23:30:00+00:00", prefix="A")  # fmt: skip
    march, april = history.forum("2018-03"), history.forum("2018-04")
    assert march["repeat_missing"] == [] and march["episodes_in_month"] == 2
    [row] = april["repeat_missing"]
    assert (row["episodes_in_month"], row["episodes_in_window"]) == (1, 3)


def test_continuing_and_new_against_last_month(history: History) -> None:
    _episodes(history, child(1), "2018-02-01T10:00:00+00:00", "2018-02-10T10:00:00+00:00",
              "2018-02-20T10:00:00+00:00", "2018-03-03T10:00:00+00:00", prefix="A")  # fmt: skip
    _episodes(history, child(2), "2018-03-01T10:00:00+00:00", "2018-03-10T10:00:00+00:00",
              "2018-03-20T10:00:00+00:00", prefix="B")  # fmt: skip
    listed = _listed(history.forum("2018-03"))
    one, two = history.key(_root(history, 1)), history.key(_root(history, 2))
    assert (listed[one]["status"], listed[two]["status"]) == ("continuing", "new")
    assert listed[one]["episodes_in_window"] == 4 and listed[one]["episodes_in_month"] == 1


def test_two_identities_linked_later_are_one_child_on_the_list(history: History) -> None:
    _episodes(history, POLICE_ONLY, "2018-03-01T10:00:00+00:00", "2018-03-10T10:00:00+00:00",
              prefix="P")  # fmt: skip
    _episodes(history, child(9), "2018-03-20T10:00:00+00:00", prefix="L")
    assert history.forum("2018-03")["repeat_missing"] == []
    history.event("identity.linked", "2018-03-25T09:00:00+00:00", child=child(9), other=POLICE_ONLY)
    [row] = history.forum("2018-03")["repeat_missing"]
    assert row["episodes_in_window"] == 3 and row["agencies"] == ["local_authority", "police"]


def test_a_retracted_episode_drops_a_child_below_the_threshold(history: History) -> None:
    reports = _episodes(
        history,
        child(1),
        "2018-03-01T10:00:00+00:00",
        "2018-03-10T10:00:00+00:00",
        "2018-03-20T10:00:00+00:00",
        prefix="A",
    )
    assert len(history.forum("2018-03")["repeat_missing"]) == 1
    history.retract(reports[1])
    assert history.forum("2018-03")["repeat_missing"] == []


def test_what_other_agencies_reported_is_counted_by_kind_never_by_content(
    history: History,
) -> None:
    c = child(1)
    history.event("care.period_started", "2017-06-01T00:00:00+00:00", child=c)
    history.event("care.placement_started", "2017-06-01T00:00:00+00:00", child=c,
                  placement_ref="SC100001", placement_type="childrens_home")  # fmt: skip
    _episodes(history, c, "2018-03-01T10:00:00+00:00", "2018-03-10T10:00:00+00:00",
              "2018-03-20T10:00:00+00:00", prefix="A")  # fmt: skip
    history.event("health.concern_raised", "2018-03-11T04:00:00+00:00", child=c, concern="cse")
    history.event("health.concern_raised", "2017-01-11T04:00:00+00:00", child=c)  # too early
    history.event("cse.case_opened", "2017-11-01T09:00:00+00:00", child=c, case_ref="CSE-1")
    history.event("police.disruption_recorded", "2018-03-21T09:00:00+00:00", child=c)
    pack = history.forum("2018-03")
    [row] = pack["repeat_missing"]
    assert row["reports"] == {
        "cse_cases": {"open": 1},
        "health": {"cse": 1},
        "police_disruption": {"child_abduction_warning_notice": 1},
    }
    assert row["open_cse"] and row["looked_after"] and row["placement_type"] == "childrens_home"
    assert row["agencies"] == ["health", "police"]  # the council's facts are all older
    assert row["child"].startswith("C-") and "LA-1" not in str(pack)
    assert pack["missing_from"][0]["episodes"] == 3


def _root(history: History, n: int) -> bytes:
    """The projection's root for child ``n`` (the hub child of its first identifier)."""
    catch_up_rows = history.projection.db.execute(
        "SELECT DISTINCT root FROM episode WHERE to_pos IS NULL AND ref LIKE ?",
        ("AB"[n - 1] + "%",),
    ).fetchall()
    [(root,)] = catch_up_rows
    return bytes(root)


def test_age_band_is_the_age_on_the_months_last_day_from_the_latest_stated_birth_date(
    history: History,
) -> None:
    # Born 31 March 2004: 13 on 30 March 2018, 14 on 31 March (March's last day).
    born = {**child(1), "date_of_birth": "2004-03-31"}
    _episodes(history, born, "2018-02-01T10:00:00+00:00", "2018-02-10T10:00:00+00:00",
              "2018-02-20T10:00:00+00:00", prefix="A")  # fmt: skip
    assert [r["age_band"] for r in history.forum("2018-02")["repeat_missing"]] == ["12-13"]
    assert [r["age_band"] for r in history.forum("2018-03")["repeat_missing"]] == ["14-15"]
    # A police-only identity with no birth date is "unknown" until linked to one that has one;
    # then the date stated most recently by any of the child's identities counts.
    _episodes(history, POLICE_ONLY, "2018-03-01T10:00:00+00:00", "2018-03-10T10:00:00+00:00",
              "2018-03-20T10:00:00+00:00", prefix="P")  # fmt: skip
    bands = sorted(r["age_band"] for r in history.forum("2018-03")["repeat_missing"])
    assert bands == ["14-15", "unknown"]
    history.event("identity.linked", "2018-03-25T09:00:00+00:00",
                  child={**child(9), "date_of_birth": "2000-06-01"}, other=POLICE_ONLY)  # fmt: skip
    bands = sorted(r["age_band"] for r in history.forum("2018-03")["repeat_missing"])
    assert bands == ["14-15", "16-17"]


def test_age_bands_at_their_edges() -> None:
    from projections._forum import age_band

    on = 20180331
    assert age_band(None, on) == "unknown" and age_band(20180401, on) == "unknown"
    assert [age_band(b, on) for b in (20060401, 20060331, 20040401, 20040331)] == [
        "under 12", "12-13", "12-13", "14-15",
    ]  # fmt: skip
    assert [age_band(b, on) for b in (20000331, 20000401, 20000229)] == [
        "18 or over", "16-17", "18 or over",
    ]  # fmt: skip
    assert age_band(20000229, 20180228) == "16-17"  # a leap-day birthday comes on 1 March
    assert age_band(20000229, 20180301) == "18 or over"


def test_the_birth_date_recorded_last_counts_and_a_retracted_one_nowhere(
    history: History,
) -> None:
    who = child(1)
    _episodes(
        history,
        {**who, "date_of_birth": "2004-01-01"},
        "2018-03-01T10:00:00+00:00",
        "2018-03-10T10:00:00+00:00",
        "2018-03-20T10:00:00+00:00",
        prefix="A",
    )
    # Recorded later, though it happened earlier: the council's date wins (store order).
    wrong = history.event(
        "care.period_started",
        "2010-01-01T00:00:00+00:00",
        child={**who, "date_of_birth": "2010-01-01"},
    )
    assert [r["age_band"] for r in history.forum("2018-03")["repeat_missing"]] == ["under 12"]
    history.retract(wrong)  # recorded in error: its date of birth goes with it
    assert [r["age_band"] for r in history.forum("2018-03")["repeat_missing"]] == ["14-15"]


def test_the_pack_shows_the_overdue_return_interviews_in_every_format(history: History) -> None:
    small_city(history)
    # Child 1 (looked after, in a children's home) was found on 5 and 19 March 2018 with no
    # interview; children 2 and 3 are not looked after. Judged on 1 May: both overdue.
    pack = history.forum("2018-03", now=PREPARED)
    overdue = pack["return_interviews_overdue"]
    assert (overdue["found"], overdue["in_time"], overdue["overdue"]) == (2, 0, 2)
    assert overdue["by_risk"] == {"no_apparent_risk": 0, "low": 0, "medium": 1, "high": 1}
    assert overdue["by_placement_type"] == {"childrens_home": 2}
    [row] = pack["repeat_missing"]
    assert [e["child"] for e in overdue["episodes"]] == [row["child"]] * 2
    assert [e["due_by"] for e in overdue["episodes"]] == [
        "2018-03-08T23:30+00:00", "2018-03-22T23:30+00:00",
    ]  # fmt: skip
    markdown = render_forum(pack, "md")
    assert "## Return interviews overdue" in markdown
    assert "2 overdue of 2 episodes of looked-after children found this month" in markdown
    assert f"| 2018-03-05T23:30+00:00 | 2018-03-08T23:30+00:00 | {row['child']} |" in markdown
    html = render_forum(pack, "html", prepared=PREPARED)
    section = html.split('<section id="overdue">')[1].split("</section>")[0]
    assert (
        "<h2>Return interviews overdue</h2>" in section and "<strong>2</strong> overdue" in section
    )
    assert section.count(f"<code>{row['child']}</code>") == 2
    assert "5 March 2018 23:30" in section and "22 March 2018 23:30" in section
    assert "none recorded" in section and "LA-1" not in html
    assert "Return interviews overdue</dt>" in html  # the definition, printed with the others
    # None overdue (no looked-after child found in December 2017): said so, not an empty table.
    quiet = render_forum(history.forum("2017-12"), "html", prepared=PREPARED)
    assert "No return interview of this month's finds is overdue." in quiet
