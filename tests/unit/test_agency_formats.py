"""The adapters without servers: cells, the SSDA903's episodes, and what a re-import plans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

import agencies
from agencies._docs import render
from agencies._fields import FieldError, Row, parse_instant
from agencies._format import Refusal
from agencies._ledger import SourceLedger
from agencies._plan import Planner

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
ROOT = Path(__file__).parents[2]


def _row(**cells: str) -> Row:
    return Row("t.csv", 2, list(cells.values()), {k: i for i, k in enumerate(cells)}, len(cells))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-07-01 10:00", "2018-07-01T10:00:00+01:00"),  # BST
        ("01/12/2018 10:00", "2018-12-01T10:00:00+00:00"),  # GMT
        ("2018-10-28 01:30", "2018-10-28T01:30:00+01:00"),  # the repeated hour: its first
        ("2018-07-01T10:00:00Z", "2018-07-01T10:00:00+00:00"),  # an offset is kept
        ("2018-07-01", "2018-07-01T00:00:00+01:00"),  # a date is its London midnight
        ("01/01/2019", "2019-01-01T00:00:00+00:00"),
    ],
)
def test_times_are_london_local_unless_they_say_otherwise(value: str, expected: str) -> None:
    at = _row(at=value).when("at")
    assert at is not None and at.isoformat() == expected


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        ("postcode_district", "le3 5", "LE3"),
        ("postcode_district", "SW1A 1AA", "SW1A"),
        ("postcode_district", "LE3", "LE3"),
        ("money", "£4,250", "4250.00"),
        ("money", "1180.5", "1180.5"),
        ("flag", "yes", True),
        ("flag", "0", False),
        ("nhs_number", "999 000 0018", "9990000018"),
    ],
)
def test_cells_read_what_exports_hold(method: str, value: str, expected: Any) -> None:
    assert getattr(_row(c=value), method)("c") == expected


@pytest.mark.parametrize(
    ("method", "value", "reason"),
    [
        ("postcode_district", "Leicester", "is not a postcode"),
        ("money", "0", "greater than zero"),
        ("money", "12.345", "amount in pounds"),
        ("flag", "maybe", "must be Y or N"),
        ("nhs_number", "9990000019", "not a valid NHS number"),
        ("upn", "A123", "not a valid UPN"),
    ],
)
def test_bad_cells_say_why_without_the_value(method: str, value: str, reason: str) -> None:
    with pytest.raises(FieldError) as caught:
        getattr(_row(c=value), method)("c")
    assert reason in caught.value.reason and value not in str(caught.value)


def test_a_naive_time_in_the_spring_gap_is_read_without_failing() -> None:
    # 01:30 on 25 March 2018 did not happen in London; it is kept as 01:30 GMT (fold=0).
    assert parse_instant("c", "2018-03-25 01:30").isoformat() == "2018-03-25T01:30:00+00:00"


def _plan(
    fmt: agencies.Format, path: Path, ledger: SourceLedger, snapshot: bool = False
) -> Planner:
    planner = Planner(fmt, ledger, NOW)
    for item in fmt.items(path):
        planner.add(item)
    if snapshot:
        planner.retract_missing()
    return planner


def _bodies(planner: Planner) -> list[dict[str, Any]]:
    return [orjson.loads(m.body) for m in planner.messages]


def _episodes(tmp_path: Path, *rows: str, uasc: str = "") -> Path:
    folder = tmp_path / "903"
    folder.mkdir(exist_ok=True)
    (folder / "Episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,PLACE,PLACE_PROVIDER,PL_POST,URN,DEC,REC\n" + "\n".join(rows) + "\n"
    )
    (folder / "UASC.csv").write_text("CHILD,DUC\n" + uasc + "\n")
    (folder / "Header.csv").write_text("CHILD,SEX,DOB,UPN\n")
    return folder


def test_ssda903_episodes_become_periods_and_placements(tmp_path: Path) -> None:
    folder = _episodes(
        tmp_path,
        "C1,01/04/2018,S,C2,K2,PR4,LE3 5,SC100001,01/06/2018,X1",  # legal status changes next
        "C1,01/06/2018,L,C1,K2,PR4,LE3 5,SC100001,01/09/2018,X1",  # then the placement does
        "C1,01/09/2018,P,C1,U4,PR1,LE4 1,XXXXXXX,31/03/2019,E13",  # then care ends
        "C2,15/05/2018,S,V2,H5,PR4,LE1,XXXXXXX,,",
        uasc="C2,20/02/2020",
    )
    planner = _plan(agencies.lookup("local_authority", "ssda903"), folder, SourceLedger({}, {}))
    facts = [
        (b["child"]["ids"]["la_child_id"], b["event_type"], b["occurred_at"][:10], b["payload"])
        for b in _bodies(planner)
    ]
    assert facts == [
        ("C2", "care.uasc_status_changed", "2020-02-20", {"uasc": False}),
        ("C1", "care.period_started", "2018-04-01", {"legal_status": "C2", "uasc": False}),
        (
            "C1",
            "care.placement_started",
            "2018-04-01",
            {
                "placement_ref": "SC100001",
                "placement_type": "childrens_home",
                "provider": "private provision",
                "postcode_district": "LE3",
            },
        ),
        ("C1", "care.placement_ended", "2018-09-01", {"placement_ref": "SC100001"}),
        (
            "C1",
            "care.placement_started",
            "2018-09-01",
            {
                "placement_ref": "U4:LE4",
                "placement_type": "foster_care",
                "provider": "own local authority",
                "postcode_district": "LE4",
            },
        ),
        ("C1", "care.placement_ended", "2019-03-31", {"placement_ref": "U4:LE4"}),
        ("C1", "care.period_ended", "2019-03-31", {"reason": "E13"}),
        ("C2", "care.period_started", "2018-05-15", {"legal_status": "V2", "uasc": True}),
        (
            "C2",
            "care.placement_started",
            "2018-05-15",
            {
                "placement_ref": "H5:LE1",
                "placement_type": "semi_independent",
                "provider": "private provision",
                "postcode_district": "LE1",
            },
        ),
    ]
    assert facts[1][2] == "2018-04-01" and _bodies(planner)[1]["occurred_at"].endswith("+01:00")


INCIDENTS = (
    "incident_ref,person_id,reported_at,last_seen_at,missing_from,risk,risk_graded_at,"
    "classification\n"
)


def _incidents(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "incidents.csv"
    path.write_text(INCIDENTS + "".join(f"{row}\n" for row in rows))
    return path


def test_the_same_export_plans_the_same_ids_with_a_fresh_ledger(tmp_path: Path) -> None:
    fmt = agencies.lookup("police", "missing-incidents")
    path = _incidents(tmp_path, "MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,LOW,,MISSING")
    first = _plan(fmt, path, SourceLedger({}, {}))
    second = _plan(fmt, path, SourceLedger({}, {}))
    assert [m.body for m in first.messages] == [m.body for m in second.messages]
    again = _plan(fmt, path, first.ledger)
    assert again.messages == [] and again.counts.unchanged == 1


def test_each_correction_has_its_own_id_even_when_a_value_comes_back(tmp_path: Path) -> None:
    fmt = agencies.lookup("police", "missing-incidents")
    ledger = SourceLedger({}, {})
    ids = []
    for classification in ("MISSING", "ABSENT", "MISSING", "ABSENT"):
        path = _incidents(
            tmp_path, f"MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,LOW,,{classification}"
        )
        planner = _plan(fmt, path, ledger)
        ids.extend(m.msg_id for m in planner.messages)
    assert len(ids) == 4 and len(set(ids)) == 4
    entry = ledger.entry("MP-1", "reported")
    assert entry is not None and entry.revision == 3


def test_a_regrade_needs_its_time(tmp_path: Path) -> None:
    fmt = agencies.lookup("police", "missing-incidents")
    ledger = SourceLedger({}, {})
    _plan(
        fmt,
        _incidents(tmp_path, "MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,LOW,,MISSING"),
        ledger,
    )
    planner = _plan(
        fmt,
        _incidents(tmp_path, "MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,HIGH,,MISSING"),
        ledger,
    )
    [refusal] = planner.refusals
    assert refusal.column == "risk_graded_at" and "risk changed" in refusal.reason
    assert ledger.states[next(iter(ledger.states))] == {"risk": "low", "regrades": []}


def test_a_regrade_before_the_report_is_refused(tmp_path: Path) -> None:
    fmt = agencies.lookup("police", "missing-incidents")
    ledger = SourceLedger({}, {})
    row = "MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,{},{},MISSING"
    _plan(fmt, _incidents(tmp_path, row.format("LOW", "")), ledger)
    early = _plan(fmt, _incidents(tmp_path, row.format("HIGH", "2018-01-01 09:30")), ledger)
    assert [(r.column, r.reason) for r in early.refusals] == [
        ("risk_graded_at", "is before the report or the last regrading imported")
    ]


def test_a_snapshot_of_nothing_retracts_nothing(tmp_path: Path) -> None:
    fmt = agencies.lookup("police", "missing-incidents")
    ledger = SourceLedger({}, {})
    _plan(
        fmt,
        _incidents(tmp_path, "MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,LOW,,MISSING"),
        ledger,
    )
    planner = _plan(fmt, _incidents(tmp_path), ledger, snapshot=True)
    assert planner.messages == [] and planner.withheld and "no record" in planner.withheld


def test_a_refused_key_withholds_snapshot_retractions(tmp_path: Path) -> None:
    fmt = agencies.lookup("police", "missing-incidents")
    ledger = SourceLedger({}, {})
    good = "MP-1,P-1,2018-01-01 10:00,2018-01-01 09:00,HOME,LOW,,MISSING"
    _plan(fmt, _incidents(tmp_path, good, good.replace("MP-1", "MP-2")), ledger)
    planner = _plan(
        fmt, _incidents(tmp_path, good, ",P-1,2018-01-01,x,HOME,LOW,,MISSING"), ledger, True
    )
    assert (
        planner.messages == [] and planner.withheld and "could not be matched" in planner.withheld
    )
    assert isinstance(planner.refusals[0], Refusal) and planner.refusals[0].column == "incident_ref"


def test_a_cse_case_reassessed_becomes_its_own_event(tmp_path: Path) -> None:
    fmt = agencies.lookup("local_authority", "cse-cases")
    ledger = SourceLedger({}, {})
    path = tmp_path / "cases.csv"
    head = "case_ref,child_id,opened_at,risk_level,online_element,assessed_at,closed_at\n"
    path.write_text(head + "CSE-1,C1,2019-02-01,MEDIUM,N,,\n")
    _plan(fmt, path, ledger)
    path.write_text(head + "CSE-1,C1,2019-02-01,MEDIUM,Y,2019-03-01,2019-09-30\n")
    bodies = _bodies(_plan(fmt, path, ledger))
    assert [(b["event_type"], b["payload"].get("online_element")) for b in bodies] == [
        ("cse.case_reassessed", True),
        ("cse.case_closed", None),
    ]


def test_every_format_has_an_example_and_the_documentation_is_current() -> None:
    for fmt in agencies.formats().values():
        assert fmt.example_path().exists(), fmt.source
    documented = (ROOT / "docs" / "agency-formats.md").read_text()
    assert documented == render(), "regenerate: hub import --formats > docs/agency-formats.md"
