"""Answers that do not mislead, on hand-built histories whose answers are worked out by hand
in the comments: a figure hidden to protect another is marked ``c``, not ``<5``; an answer
from no records says so (and ``hub foi`` exits 1) instead of giving zeros; a public answer
cannot be set against one given before to work out a small count; several periods in one
answer are the single answers side by side; the Markdown reads as a document."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.bootstrap import main
from projections import (
    answer,
    answer_with_raw,
    answers,
    answers_with_raw,
    catch_up,
    parse_as_of,
    parse_period,
    parse_periods,
    render,
)
from tests.history import History, child


class Foi:
    """``hub`` run in this process on the history's store, as a user runs it."""

    def __init__(
        self, history: History, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("HUB_DATA_DIR", str(history.settings.data_dir))
        monkeypatch.setenv("HUB_LOG_LEVEL", "WARNING")
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str, role: str = "public") -> tuple[int, str, str]:
        self.monkeypatch.setenv("HUB_ROLE", role)
        self.capsys.readouterr()
        status = main(list(args))
        out = self.capsys.readouterr()
        return status, out.out, out.err


@pytest.fixture
def hub(
    history: History, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Foi:
    return Foi(history, monkeypatch, capsys)


def ask(history: History, statistic: str, period: str, **options: Any) -> dict[str, Any]:
    catch_up(history.feed, history.projection)
    return answer(history.projection, statistic, parse_period(period), **options)


def episodes(history: History, n: int, day: str, *, start: int = 0, **changes: Any) -> None:
    for i in range(start, start + n):
        history.episode(f"E{day}-{i}", f"{day}T10:00:00+01:00", child(i + 1), **changes)


# A figure hidden to protect another is marked c.


def test_a_secondarily_suppressed_nine_is_marked_c_not_under_five(history: History) -> None:
    episodes(history, 9, "2017-06-01")
    episodes(history, 2, "2017-06-01", start=100, classification="absent")

    public = ask(history, "missing-occasions", "2017/18")

    # absent = 2 is small (<5); missing = 9 is hidden only because 11 - 9 gives the 2 away.
    figures = public["figures"]
    assert (figures["all.absent"]["display"], figures["all.absent"]["reason"]) == ("<5", "small")
    assert figures["all.missing"] == {
        "value": None,
        "display": "c",
        "suppressed": True,
        "reason": "secondary",
        "label": "All children: occasions missing",
    }
    assert (figures["all.total"]["value"], figures["all.total"]["reason"]) == (11, None)
    md = render(public, "md")
    assert "| All children: occasions missing | c |" in md
    assert "| All children: occasions absent | <5 |" in md
    assert "<5: a number from 1 to 4" in md and "\nc: a number not shown" in md
    csv = render(public, "csv")
    assert (
        "missing-occasions,2017-04-01,2018-03-31,all.missing,c,,All children: occasions"
        " missing,secondary" in csv
    )
    assert "# c: a number not shown" in csv


# No records held: never zeros.


def test_an_empty_store_holds_no_records_and_hub_foi_exits_1(history: History, hub: Foi) -> None:
    empty = ask(history, "missing-occasions", "2017/18")

    assert empty["records_held"] == {
        "held": False,
        "reason": "no records held: the store holds no events at all",
    }
    assert {(c["value"], c["display"], c["reason"]) for c in empty["figures"].values()} == {
        (None, "x", "no_records")
    }
    status, out, err = hub("foi", "missing-occasions", "--period", "2017/18", "--format", "json")
    assert status == 1
    assert orjson.loads(out)["records_held"] == empty["records_held"]
    assert "no records held: the store holds no events at all" in err
    status, out, _ = hub("foi", "missing-occasions", "--period", "2017/18")
    assert status == 1
    assert "**No records held.** The store holds no events at all." in out
    assert "| Figure |" not in out  # no table of zeros, nor of marks


def test_an_as_of_before_the_first_record_holds_no_records(history: History, hub: Foi) -> None:
    history.at("2011-06-01T09:00:00+01:00")
    episodes(history, 7, "2010-06-01")

    before = ask(history, "missing-children", "2010/11", as_of=parse_as_of("01/05/2011"))
    after = ask(history, "missing-children", "2010/11", as_of=parse_as_of("2011-06-02"))

    assert before["records_held"] == {
        "held": False,
        "reason": "no records held: the store holds no events recorded by the end of 1 May"
        " 2011 (London time)",
    }
    assert before["figures"]["total"]["value"] is None
    assert after["records_held"]["held"] and after["figures"]["total"]["value"] == 7
    status, out, err = hub(
        "foi", "missing-children", "--period", "2010/11", "--as-of", "2011-05-01", "--format", "csv"
    )
    assert status == 1 and "recorded by the end of 1 May 2011" in err
    assert "missing-children,2010-04-01,2011-03-31,total,x,,Children who went missing," in out
    status, _, _ = hub("foi", "missing-children", "--period", "2010/11", "--as-of", "2011-06-02")
    assert status == 0


def test_a_statistic_whose_records_were_never_imported_holds_none(
    history: History, hub: Foi
) -> None:
    history.event("care.period_started", "2016-01-01T00:00:00+00:00", child=child(1))
    episodes(history, 6, "2017-06-01")  # police episodes: not the council's own records

    council = ask(history, "looked-after-missing", "2017/18")

    reason = (
        "no records held: no council missing records (care.missing_recorded) have ever been"
        " imported"
    )
    assert council["records_held"] == {"held": False, "reason": reason}
    assert ask(history, "missing-occasions", "2017/18")["records_held"]["held"]
    status, out, err = hub("foi", "looked-after-missing", "--period", "2017/18", "--format", "json")
    assert status == 1 and reason in err
    assert orjson.loads(out)["records_held"]["reason"] == reason


def test_a_source_imported_after_the_as_of_time_was_not_held_then(history: History) -> None:
    history.at("2018-01-01T00:00:00+00:00")
    episodes(history, 6, "2017-06-01")
    history.at("2018-06-01T00:00:00+00:00")
    history.event("cse.case_opened", "2017-07-01T09:00:00+00:00", child=child(1), case_ref="C1")

    then = ask(history, "cse-cases", "2017/18", as_of=parse_as_of("2018-03-01"))
    now = ask(history, "cse-cases", "2017/18", suppress=False)

    assert then["records_held"]["reason"] == (
        "no records held: no child sexual exploitation cases (cse.case_opened) had been"
        " imported by the end of 1 March 2018 (London time)"
    )
    assert now["records_held"]["held"] and now["figures"]["total"]["value"] == 1


def test_a_period_wholly_outside_the_records_held_has_none(history: History) -> None:
    # Alerts about children's homes on 1 June 2015 and 1 June 2017, and one elsewhere on
    # 1 June 2019: the records held run from 2015 to 2019, whatever their setting.
    for ref, day, setting in (
        ("A1", "2015-06-01", "childrens_home"),
        ("A2", "2017-06-01", "childrens_home"),
        ("A3", "2019-06-01", "foster_care"),
    ):
        history.event(
            "safeguarding.alert_raised",
            f"{day}T09:00:00+01:00",
            child=child(1),
            alert_ref=ref,
            setting=setting,
            categories=["cse"],
        )

    def held(period: str) -> tuple[bool, int | None]:
        result = ask(history, "safeguarding-alerts", period, suppress=False)
        return result["records_held"]["held"], result["figures"]["total"]["value"]

    assert held("2014/15") == (False, None)  # before the first
    assert held("2015-05-31..2015-06-01") == (True, 1)  # ends on the first day held
    assert held("2016/17") == (True, 0)  # between records: a true zero
    assert held("2019") == (True, 0)  # the 2019 alert is held: not a children's home
    assert held("2019-06-01..2019-06-01") == (True, 0)
    assert held("2019-06-02..2019-12-31") == (False, None)  # after the last
    assert ask(history, "safeguarding-alerts", "2014/15")["records_held"]["reason"] == (
        "no records held for 1 April 2014 to 31 March 2015: the safeguarding alerts"
        " (safeguarding.alert_raised) held begin on 1 June 2015"
    )


def test_care_records_bound_uasc_only_from_the_first_care_period(history: History) -> None:
    history.event(
        "care.period_started", "2016-05-01T09:00:00+01:00", child=child(1), uasc=True
    )  # still looked after: the span has no end

    def total(period: str) -> int | None:
        result: int | None = ask(history, "uasc-looked-after", period, suppress=False)["figures"][
            "total"
        ]["value"]
        return result

    assert total("2015/16") is None  # before any care period: no records held
    assert total("2016/17") == 1
    assert total("2019/20") == 1  # the child is still looked after, as the records stand


# The differencing guard.


def test_a_period_one_day_longer_differing_by_two_hides_that_figure(history: History) -> None:
    # The issue: one day alone shows <5, yet the periods ending the day before and that day
    # would give it away (here 20 and 22: two episodes on 2 June).
    episodes(history, 20, "2017-05-10")
    episodes(history, 2, "2017-06-02", start=50)
    catch_up(history.feed, history.projection)
    store = history.projection
    day = answer(store, "missing-occasions", parse_period("2017-06-02..2017-06-02"))
    first, given = answer_with_raw(
        store, "missing-occasions", parse_period("2017-04-01..2017-06-01")
    )
    longer = parse_period("2017-04-01..2017-06-02")

    guarded = answer(store, "missing-occasions", longer, given=[given])
    unguarded = answer(store, "missing-occasions", longer)

    assert day["figures"]["all.total"]["display"] == "<5"
    assert first["figures"]["all.total"]["value"] == 20
    assert given.figures["all.total"] == 20  # what to remember: raw, never shown
    assert (given.statistic, given.start.isoformat(), given.end.isoformat()) == (
        "missing-occasions",
        "2017-04-01",
        "2017-06-01",
    )
    assert unguarded["figures"]["all.total"]["value"] == 22  # 22 - 20 = the day's 2
    for name in ("all.total", "all.missing"):  # both differ by 2
        assert guarded["figures"][name] == {
            "value": None,
            "display": "c",
            "suppressed": True,
            "reason": "differencing",
            "label": guarded["figures"][name]["label"],
        }
    assert guarded["figures"]["all.absent"]["display"] == "0"  # no difference, and zero
    # The digest is of the records and the arguments: the same, guarded or not.
    assert guarded["provenance"] == unguarded["provenance"]
    # The same period asked again later, with the records unchanged, is no differencing.
    _, again = answer_with_raw(store, "missing-occasions", longer)
    repeat = answer(store, "missing-occasions", longer, given=[again])
    assert repeat["figures"]["all.total"]["value"] == 22
    # Raw answers (internal) are never withheld.
    raw = answer(store, "missing-occasions", longer, suppress=False, given=[given])
    assert raw["figures"]["all.total"]["value"] == 22


def test_the_guard_hides_a_total_that_would_give_a_withheld_part_away(history: History) -> None:
    # 10 missing and 10 absent episodes in April and May; on 2 June, 2 more missing and 10
    # more absent. Set against April to 1 June, the year's missing (12 against 10) gives the
    # 2 away: withheld. Then missing alone hidden beside absent and the total would be worked
    # out from them (32 - 20), so absent, the smallest other part, is hidden too.
    episodes(history, 10, "2017-05-10")
    episodes(history, 10, "2017-05-10", start=20, classification="absent")
    episodes(history, 2, "2017-06-02", start=40)
    episodes(history, 10, "2017-06-02", start=60, classification="absent")
    catch_up(history.feed, history.projection)
    store = history.projection
    _, given = answer_with_raw(store, "missing-occasions", parse_period("2017-04-01..2017-06-01"))

    guarded = answer(store, "missing-occasions", parse_period("2017/18"), given=[given])

    shown = {name: (c["display"], c["reason"]) for name, c in guarded["figures"].items()}
    assert shown["all.missing"] == ("c", "differencing")
    assert shown["all.absent"] == ("c", "secondary")
    assert shown["all.total"] == ("32", None)  # 12 more than before: no small difference


# Several periods in one answer.


def test_by_year_over_four_financial_years_equals_the_four_single_answers(
    history: History, hub: Foi
) -> None:
    for year, n in ((2014, 6), (2015, 0), (2016, 3), (2017, 8)):
        episodes(history, n, f"{year}-09-01", start=year * 10)
    episodes(history, 2, "2018-02-01", start=99, classification="absent")  # 2017/18
    catch_up(history.feed, history.projection)
    store = history.projection
    periods = parse_periods("2014/15..2017/18", "year")

    combined, raws = answers_with_raw(store, "missing-occasions", periods, by="year")

    singles = [answer(store, "missing-occasions", p) for p in periods]
    assert combined["answers"] == singles
    assert [a["figures"]["all.total"]["value"] for a in singles] == [6, 0, None, 10]
    # 2015/16 has no episodes but lies between records held: a true zero, shown.
    assert [a["figures"]["all.total"]["display"] for a in singles] == ["6", "0", "<5", "10"]
    assert [g.figures["all.total"] for g in raws] == [6, 0, 3, 10]
    assert combined["by"] == "year" and combined["statistic"] == "missing-occasions"
    assert combined["period"]["label"] == "2014/15..2017/18"
    assert combined["records_held"] == {"held": True, "reason": None}
    assert combined == answers(
        store, "missing-occasions", parse_periods("2014-04-01..2018-03-31", "year"), by="year"
    )
    status, out, _ = hub(
        "foi", "missing-occasions", "--period", "2014/15..2017/18", "--by", "year",
        "--as-of", combined["as_of"], "--format", "json",
    )  # fmt: skip
    assert status == 0
    assert [a["provenance"]["digest"] for a in orjson.loads(out)["answers"]] == [
        a["provenance"]["digest"] for a in singles
    ]
    status, md, _ = hub("foi", "missing-occasions", "--period", "2014/15..2017/18", "--by", "year")
    assert status == 0
    assert (
        "# Occasions children went missing: 1 April 2014 to 31 March 2018, by financial year" in md
    )
    assert "| Figure | 2014/15 | 2015/16 | 2016/17 | 2017/18 |" in md
    assert "| All children: occasions missing or absent | 6 | 0 | <5 | 10 |" in md
    assert "--period 2014/15..2017/18 --by year --as-of" in md
    status, csv, _ = hub(
        "foi", "missing-occasions", "--period", "2014..2017", "--by", "year", "--format", "csv"
    )
    assert status == 0
    rows = [line for line in csv.splitlines() if ",all.total," in line]
    assert [row.split(",")[1] for row in rows] == [f"{y}-01-01" for y in range(2014, 2018)]


def test_by_month_and_a_year_without_records_in_the_range(history: History, hub: Foi) -> None:
    episodes(history, 6, "2017-05-01")
    status, out, err = hub(
        "foi", "missing-occasions", "--period", "2016/17..2017/18", "--by", "year",
        "--format", "json",
    )  # fmt: skip
    # 2016/17 is before the first record held: the answer says so and the command exits 1.
    combined = orjson.loads(out)
    assert status == 1
    assert [a["records_held"]["held"] for a in combined["answers"]] == [False, True]
    assert combined["records_held"]["reason"].startswith("2016/17: no records held for 1 April")
    assert "2016/17: no records held" in err
    status, out, _ = hub(
        "foi", "missing-occasions", "--period", "2017-04..2017-06", "--by", "month", "--format",
        "json", "--no-suppression", role="internal",
    )  # fmt: skip
    months = orjson.loads(out)["answers"]
    assert [(m["period"]["label"], m["figures"]["all.total"]["value"]) for m in months] == [
        ("2017-04", None),  # before 1 May: no records held
        ("2017-05", 6),
        ("2017-06", None),  # after: none
    ]
    assert status == 1


# The Markdown, for a person, and the line that reproduces it.


def test_the_markdown_reads_as_a_document_and_says_how_to_reproduce_it(
    history: History, hub: Foi
) -> None:
    history.at("2018-05-01T09:00:00+01:00")
    episodes(history, 12, "2017-06-01")
    history.event("care.period_started", "2016-01-01T00:00:00+00:00", child=child(3))

    status, md, _ = hub("foi", "missing-children", "--period", "2017/18")

    assert status == 0
    result = ask(history, "missing-children", "2017/18")
    lines = md.splitlines()
    assert lines[0] == "# Children who went missing: 1 April 2017 to 31 March 2018"
    assert "| Figure | Number |" in lines
    assert "| Children who went missing | 12 |" in lines
    assert "| of whom looked after at the time | <5 |" in lines
    table = [line for line in lines if line.startswith("|")]
    assert not any(name in line for line in table for name in ("known_to_department", "total"))
    assert "As the records stood at 09:00:00 on 1 May 2018 (London time)" in md
    reproduce = result["reproduce"]
    assert reproduce == (
        f"hub foi missing-children --period 2017/18 --as-of {result['as_of']} --format json"
    )
    assert f"To reproduce: `{reproduce}` gives this answer again, with digest" in md
    assert result["provenance"]["digest"] in md
    # The command does what it says.
    status, out, _ = hub(*shlex.split(reproduce)[1:])
    assert status == 0 and orjson.loads(out) == result


def test_a_raw_answers_reproduce_line_names_the_role_and_the_flag(history: History) -> None:
    episodes(history, 3, "2017-06-01")
    raw = ask(history, "missing-occasions", "2017-06", suppress=False, threshold=10)
    assert raw["reproduce"].startswith(
        "HUB_ROLE=internal HUB_DISCLOSURE_THRESHOLD=10 hub foi missing-occasions --period"
        " 2017-06 --as-of "
    )
    assert raw["reproduce"].endswith(" --no-suppression --format json")


def test_no_identifier_appears_in_any_answer_or_error(history: History, hub: Foi) -> None:
    episodes(history, 3, "2017-06-01")
    outputs: list[str] = []
    for args in (
        ("--period", "2017/18"),
        ("--period", "2017/18", "--format", "csv"),
        ("--period", "2016/17..2017/18", "--by", "year", "--format", "json"),
        ("--period", "2010/11"),
    ):
        outputs += hub("foi", "missing-occasions", *args)[1:]
    text = "".join(outputs)
    assert "LA-1" not in text and "999000" not in text and child(1)["ids"]["nhs_number"] not in text


# --month and --from/--to take YYYY-MM only.


@pytest.mark.parametrize(
    "args",
    [
        ("forum", "--month", "2017/18"),
        ("forum", "--month", "2017"),
        ("forum", "--month", "2017-04-01..2017-04-30"),
        ("trends", "--from", "2017/18", "--to", "2018-03"),
        ("trends", "--from", "2017-04", "--to", "2018"),
        ("trends", "--from", "2017-04-01..2017-04-30", "--to", "2018-03"),
    ],
)
def test_forum_and_trends_take_months_only(hub: Foi, args: tuple[str, ...]) -> None:
    status, _, err = hub(*args, role="internal")
    assert status == 2 and "YYYY-MM" in err, err


def test_bad_foi_arguments_are_explained(hub: Foi, tmp_path: Path) -> None:
    status, _, err = hub("foi", "missing-occasions", "--period", "2017/18", "--as-of", "31/02/2018")
    assert status == 2 and "01/05/2019" in err
    status, _, err = hub("foi", "missing-occasions", "--period", "2014/15..2017/18")
    assert status == 2 and "--by year" in err
    status, _, err = hub("foi", "missing-occasions", "--period", "2014-06..2016-05", "--by", "year")
    assert status == 2 and "whole financial years" in err
