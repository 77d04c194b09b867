"""The SSDA903 adapter on hand-built returns: one-year returns and their overlap, tables found
by their columns, the XML form, the Missing table, and warnings that keep the row."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

import agencies
from agencies._ledger import SourceLedger
from agencies._plan import Planner
from contracts import upn_check_letter

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
FMT = agencies.lookup("local_authority", "ssda903")
_DIGITS = "123456789012"
BAD_UPN = next(c + _DIGITS for c in "ABCDEFGHJKLMNPQRTUVWXYZ" if c != upn_check_letter(_DIGITS))


def write(folder: Path, **tables: list[str]) -> Path:
    """A return: ``name=[header, rows...]`` for each file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in tables.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def plan(path: Path, ledger: SourceLedger | None = None, snapshot: bool = False) -> Planner:
    planner = Planner(FMT, ledger if ledger is not None else SourceLedger({}, {}), NOW)
    for item in FMT.items(path, planner.context):
        planner.add(item)
    planner.finish()
    if snapshot:
        planner.retract_missing()
    return planner


def facts(planner: Planner) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (b["event_type"], b["occurred_at"][:10], b["payload"])
        for b in (orjson.loads(m.body) for m in planner.messages)
    ]


class Live:
    """The facts as they stand after every import's messages: corrections applied,
    retractions removed (what the hub would hold)."""

    def __init__(self) -> None:
        self.events: dict[str, tuple[str, str, bytes]] = {}

    def apply(self, planner: Planner) -> Live:
        for message in planner.messages:
            body = orjson.loads(message.body)
            p = body["payload"]
            if body["event_type"] == "record.retracted":
                del self.events[p["target_event_id"]]
            elif body["event_type"] == "record.corrected":
                kind, at, _ = self.events[p["target_event_id"]]
                self.events[p["target_event_id"]] = (kind, at, orjson.dumps(p["replacement"]))
            else:
                self.events[body["event_id"]] = (
                    body["event_type"],
                    body["occurred_at"],
                    orjson.dumps(p),
                )
        return self

    def facts(self) -> set[tuple[str, str, bytes]]:
        return set(self.events.values())


# 2016/17: C1 came into care in 2015 (S), moved in June 2016 (X1, P), still there at the end.
RETURN_2016 = [
    EPISODES,
    "C1,01/09/2015,S,C2,N1,U4,PR1,01/06/2016,X1,,LE2 1,LE4 7,",
    "C1,01/06/2016,P,C2,N1,K2,PR4,,,CARPL,LE2 1,LE3 5,SC100001",
]
# 2017/18: the June 2016 episode (no S row this year) ends in care ending in January 2018.
RETURN_2017 = [
    EPISODES,
    "C1,01/06/2016,P,C2,N1,K2,PR4,15/01/2018,E13,,LE2 1,LE3 5,SC100001",
]


def test_a_child_in_care_since_before_the_year_is_looked_after_from_the_earliest_decom(
    tmp_path: Path,
) -> None:
    folder = write(tmp_path / "2017", Episodes=RETURN_2017, Header=[HEADER])
    assert facts(plan(folder)) == [
        ("care.period_started", "2016-06-01", {"legal_status": "C2", "uasc": False}),
        (
            "care.placement_started",
            "2016-06-01",
            {
                "placement_ref": "SC100001",
                "placement_type": "childrens_home",
                "provider": "private provision",
                "postcode_district": "LE3",
            },
        ),
        ("care.placement_ended", "2018-01-15", {"placement_ref": "SC100001"}),
        ("care.period_ended", "2018-01-15", {"reason": "E13"}),
    ]


@pytest.mark.parametrize("order", [("2016", "2017"), ("2017", "2016")])
def test_overlapping_returns_of_two_years_give_one_history_in_either_order(
    tmp_path: Path, order: tuple[str, str]
) -> None:
    returns = {
        "2016": write(tmp_path / "2016", Episodes=RETURN_2016, Header=[HEADER]),
        "2017": write(tmp_path / "2017", Episodes=RETURN_2017, Header=[HEADER]),
    }
    ledger, live = SourceLedger({}, {}), Live()
    for year in order:
        live.apply(plan(returns[year], ledger))
    assert sorted((kind, at[:10]) for kind, at, _ in live.facts()) == [
        ("care.period_ended", "2018-01-15"),
        ("care.period_started", "2015-09-01"),  # one period, from the earliest DECOM shown
        ("care.placement_ended", "2016-06-01"),
        ("care.placement_ended", "2018-01-15"),
        ("care.placement_started", "2015-09-01"),
        ("care.placement_started", "2016-06-01"),
    ]
    # Importing either return again publishes nothing.
    assert plan(returns["2016"], ledger).messages == []
    assert plan(returns["2017"], ledger).messages == []


def test_an_episode_its_years_return_no_longer_shows_is_retracted(tmp_path: Path) -> None:
    ledger, live = SourceLedger({}, {}), Live()
    folder = write(tmp_path / "r", Episodes=RETURN_2017, Header=[HEADER])
    live.apply(plan(folder, ledger))
    # The council resubmits 2017/18 with the episode's start corrected to 2 June.
    corrected = [EPISODES, RETURN_2017[1].replace("01/06/2016", "02/06/2016")]
    live.apply(plan(write(tmp_path / "r", Episodes=corrected), ledger))
    starts = sorted(at[:10] for kind, at, _ in live.facts() if kind.endswith("_started"))
    assert starts == ["2016-06-02", "2016-06-02"]


def test_bad_optional_values_are_dropped_with_a_warning_and_the_row_kept(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        Episodes=[
            EPISODES,
            # LS empty, PL_POST not a postcode, a REC on an open episode (DfE rule 148).
            "C1,01/05/2017,S,,N1,U4,PR1,,X1,,LE2 1,2TR,",
        ],
        # A UPN whose check letter fails.
        Header=[HEADER, f"C1,1,01/01/2005,WBRI,{BAD_UPN},,"],
        # A DUC still to come: the expected 18th birthday, no event yet.
        UASC=["CHILD,SEX,DOB,DUC", "C1,1,01/01/2005,01/01/2030"],
    )
    planner = plan(folder)
    assert planner.refusals == []
    assert facts(planner)[0] == (
        "care.period_started",
        "2017-05-01",
        {"legal_status": "not recorded", "uasc": True},
    )
    where = {(n.file, n.line, n.column, n.rule) for n in planner.notices}
    assert {
        ("Episodes.csv", 2, "LS", "DfE LS code"),
        ("Episodes.csv", 2, "PL_POST", "PL_POST"),
        ("Episodes.csv", 2, "REC", "DfE rule 148"),
        ("Header.csv", 2, "UPN", "DfE rule 168/UPN"),
    } <= where
    assert not any(kind == "care.uasc_status_changed" for kind, _, _ in facts(planner))
    assert BAD_UPN not in " ".join(str(n) for n in planner.notices)
    assert planner.counts.warnings == len(planner.notices) > 0


def test_tables_are_found_by_their_columns_whatever_their_names(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    write(
        folder,
        SSDA903_2018_episodes=[EPISODES + ",TEST_COLUMN", RETURN_2017[1] + ",x"],
        something=[HEADER, "C1,2,01/01/2005,WBRI,UN1,,"],
        notes=["a,b", "1,2"],
    )
    planner = plan(folder)
    assert planner.refusals == [] and len(facts(planner)) == 4
    said = [str(n) for n in planner.notices]
    assert any("TEST_COLUMN" in s and "not a column" in s for s in said)
    assert any(s.startswith("notes.csv:") and "no table" in s for s in said)


def test_a_return_without_its_episodes_is_refused_and_says_which_table(tmp_path: Path) -> None:
    folder = write(tmp_path / "r", Header=[HEADER])
    with pytest.raises(agencies.FileRefused, match="has no Episodes table"):
        plan(folder)


def test_the_missing_table_becomes_the_councils_missing_records(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        Episodes=RETURN_2017,
        Header=[HEADER],
        missing=[
            "CHILD,DOB,MISSING,MIS_START,MIS_END",
            "C1,01/01/2005,M,02/09/2017,03/09/2017",
            "C1,01/01/2005,A,20/12/2017,",
            "C1,01/01/2005,X,21/12/2017,",  # neither M nor A: cannot be a record
        ],
    )
    planner = plan(folder)
    recorded = [p for kind, _, p in facts(planner) if kind == "care.missing_recorded"]
    assert [(p["kind"], p["started_on"], p.get("ended_on")) for p in recorded] == [
        ("missing", "2017-09-02", "2017-09-03"),
        ("away", "2017-12-20", None),
    ]
    assert [str(r) for r in planner.refusals] == [
        "missing.csv:4: column 3 (MISSING): is not one of the codes M, A"
    ]
    # The council's key is opaque (a uuid5 of child and day): it names no child.
    assert all(str(uuid.UUID(p["episode_ref"])) == p["episode_ref"] for p in recorded)


def test_a_snapshot_without_a_missing_table_retracts_no_missing_record(tmp_path: Path) -> None:
    ledger = SourceLedger({}, {})
    with_missing = write(
        tmp_path / "a",
        Episodes=RETURN_2017,
        Header=[HEADER],
        Missing=["CHILD,DOB,MISSING,MIS_START,MIS_END", "C1,01/01/2005,M,02/09/2017,"],
    )
    plan(with_missing, ledger)
    without = write(tmp_path / "b", Episodes=RETURN_2017, Header=[HEADER])
    assert plan(without, ledger, snapshot=True).messages == []


def test_the_xml_return_is_read_as_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "return.xml"
    path.write_text(
        "<EXPSSDA903><CHILD><HEADER><CHILDID>C1</CHILDID><SEX>1</SEX><DOB>01/01/2005</DOB>"
        "<UPN>UN1</UPN><UASC>1</UASC><DUC>01/01/2023</DUC>"
        "<AMISSING><MISSING>A</MISSING><MIS_START>02/09/2017</MIS_START><MIS_END />"
        "</AMISSING></HEADER>"
        "<EPISODE><DECOM>01/06/2016</DECOM><RNE>P</RNE><LS>C2</LS><PL>K2</PL>"
        "<PLACE_PROVIDER>PR4</PLACE_PROVIDER><PL_POST>LE3 5</PL_POST><URN>SC100001</URN>"
        "<DEC /><REC /></EPISODE></CHILD></EXPSSDA903>"
    )
    planner = plan(path)
    assert planner.refusals == []
    assert [(kind, at) for kind, at, _ in facts(planner)] == [
        ("care.uasc_status_changed", "2023-01-01"),
        ("care.period_started", "2016-06-01"),
        ("care.placement_started", "2016-06-01"),
        ("care.missing_recorded", "2017-09-02"),
    ]
    assert facts(planner)[1][2] == {"legal_status": "C2", "uasc": True}


def test_older_returns_codes_are_read_as_their_years_guide_says(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "r",
        Episodes=[
            EPISODES,
            # A 2013/14 return: PLACE Q2 (other foster carer, now U4-U6) ...
            "C1,01/05/2013,S,C2,N1,Q2,PR1,01/09/2013,X1,,,LE4 7,",
            # ... and a special guardianship order to former foster carers (E43, to 2018/19).
            "C1,01/09/2013,P,C2,N1,H3,PR4,01/02/2014,E43,,,LE4 7,",
        ],
        Header=[HEADER],
    )
    planner = plan(folder)
    assert planner.refusals == []
    made = facts(planner)
    assert [p.get("placement_type") for k, _, p in made if k == "care.placement_started"] == [
        "foster_care",
        "childrens_home",
    ]
    assert made[-1] == ("care.period_ended", "2014-02-01", {"reason": "E43"})
    assert {(n.column, n.rule) for n in planner.notices if n.line} >= {("PLACE", "older DfE code")}


def test_the_citys_yearly_returns_in_any_order_give_one_history(tmp_path: Path) -> None:
    from unittest import mock

    from agencies.city import generate
    from agencies.local_authority.ssda903 import _dfe

    exports = [e.path for e in generate(tmp_path / "city") if e.kind == "ssda903"][4:9]
    orders = {"forward": exports, "reverse": exports[::-1], "mixed": [*exports[2:], *exports[:2]]}
    ends = {}
    with mock.patch.object(_dfe, "check", return_value=([], "not run")):
        for name, order in orders.items():
            ledger, live = SourceLedger({}, {}), Live()
            for path in order:
                live.apply(plan(path, ledger))
            assert all(plan(path, ledger).messages == [] for path in exports), name
            ends[name] = live.facts()
    assert len(ends["forward"]) > 1000
    assert ends["forward"] == ends["reverse"] == ends["mixed"]


def _orders(tmp_path: Path, returns: dict[str, list[str]], **tables: list[str]) -> list[Live]:
    """The returns imported in each order, then each imported again (which sends nothing)."""
    folders = {
        year: write(tmp_path / year, Episodes=rows, Header=[HEADER], **tables)
        for year, rows in returns.items()
    }
    ends = []
    for order in (list(folders), list(folders)[::-1]):
        ledger, live = SourceLedger({}, {}), Live()
        for year in order:
            live.apply(plan(folders[year], ledger))
        assert all(plan(folder, ledger).messages == [] for folder in folders.values()), order
        ends.append(live)
    assert ends[0].facts() == ends[1].facts()
    return ends


def _placements(live: Live) -> list[tuple[str, str, str]]:
    return sorted(
        (at[:10], kind.removeprefix("care."), orjson.loads(p).get("placement_ref", ""))
        for kind, at, p in live.facts()
        if kind.startswith("care.")
    )


def test_episodes_beginning_the_same_day_are_the_same_episodes_in_every_return(
    tmp_path: Path,
) -> None:
    # 31 March 2017: a placement of hours (U5, ended that day), then K2, open at the year end;
    # the 2016/17 return lists K2 first. The 2017/18 return shows K2 alone.
    returns = {
        "2016": [
            EPISODES,
            "C1,01/09/2015,S,C2,N1,U4,PR1,31/03/2017,X1,,,LE4 7,",
            "C1,31/03/2017,P,C2,N1,K2,PR4,,,,,LE3 5,SC100001",
            "C1,31/03/2017,P,C2,N1,U5,PR1,31/03/2017,X1,,,LE4 7,",
        ],
        "2017": [EPISODES, "C1,31/03/2017,P,C2,N1,K2,PR4,10/10/2017,E13,,,LE3 5,SC100001"],
    }
    [live, _] = _orders(tmp_path, returns)
    assert _placements(live) == [
        ("2015-09-01", "period_started", ""),
        ("2015-09-01", "placement_started", "U4:LE4"),
        ("2017-03-31", "placement_ended", "U4:LE4"),
        ("2017-03-31", "placement_ended", "U5:LE4"),
        ("2017-03-31", "placement_started", "SC100001"),
        ("2017-03-31", "placement_started", "U5:LE4"),
        ("2017-10-10", "period_ended", ""),
        ("2017-10-10", "placement_ended", "SC100001"),
    ]


def test_a_decom_a_later_return_corrected_stays_corrected_in_either_order(tmp_path: Path) -> None:
    returns = {
        "2016": [EPISODES, "C1,01/06/2016,S,C2,N1,K2,PR4,,,,,LE3 5,SC100001"],
        "2017": [EPISODES, "C1,02/06/2016,S,C2,N1,K2,PR4,15/01/2018,E13,,,LE3 5,SC100001"],
    }
    [live, _] = _orders(tmp_path, returns)
    starts = [at for at, kind, _ in _placements(live) if kind.endswith("started")]
    assert starts == ["2016-06-02", "2016-06-02"]


def test_a_year_not_imported_leaves_the_history_before_it(tmp_path: Path) -> None:
    returns = {
        "2016": RETURN_2016,  # the June 2016 episode is open at the end of 2016/17 ...
        # ... and the 2018/19 return shows a new period (2017/18's, not imported, ended it).
        "2018": [EPISODES, "C1,01/10/2018,S,C2,N1,U4,PR1,,,,,LE4 7,"],
    }
    [live, _] = _orders(tmp_path, returns)
    starts = [at for at, kind, _ in _placements(live) if kind == "period_started"]
    assert starts == ["2015-09-01", "2018-10-01"]


def test_a_missing_period_open_at_the_year_end_keeps_the_end_the_next_return_gives(
    tmp_path: Path,
) -> None:
    head = "CHILD,DOB,MISSING,MIS_START,MIS_END"
    for order in (("a", "b"), ("b", "a")):
        ledger, live = SourceLedger({}, {}), Live()
        returns = {
            "a": write(tmp_path / order[0] / "a", Episodes=RETURN_2016, Header=[HEADER],
                       Missing=[head, "C1,01/01/2005,M,30/03/2017,"]),
            "b": write(tmp_path / order[0] / "b", Episodes=RETURN_2017, Header=[HEADER],
                       Missing=[head, "C1,01/01/2005,M,30/03/2017,02/04/2017"]),
        }  # fmt: skip
        for name in order:
            live.apply(plan(returns[name], ledger))
        [record] = [orjson.loads(p) for k, _, p in live.facts() if k == "care.missing_recorded"]
        assert record["ended_on"] == "2017-04-02", order
