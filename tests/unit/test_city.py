"""The synthetic city: seeded, its files readable by the adapters' own rules, and the seeds'
figures contained exactly by construction."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import Counter
from pathlib import Path

import pytest

from agencies.city import generate
from agencies.city._history import build
from agencies.city._published import CSE_CASES, CSE_ONLINE, FY_2010, MISSING_CHILDREN_2010
from contracts._checks import upn_check_letter


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    generate(folder)
    return folder


def test_the_same_seed_writes_the_same_files(tmp_path: Path, city: Path) -> None:
    generate(tmp_path, scale=1.0)
    for path in city.rglob("*.csv"):
        assert (tmp_path / path.relative_to(city)).read_bytes() == path.read_bytes(), path


def test_cse_cases_per_year_and_online_ones_are_the_seeds(city: Path) -> None:
    cases = _rows(city / "local_authority" / "cse-cases.csv")
    opened = Counter(int(r["opened_at"][:4]) for r in cases)
    online = Counter(int(r["opened_at"][:4]) for r in cases if r["online_element"] == "Y")
    assert {y: opened[y] for y in CSE_CASES} == CSE_CASES
    assert {y: online[y] for y in CSE_ONLINE} == CSE_ONLINE
    assert len({r["case_ref"] for r in cases}) == len(cases)
    assert all(r["closed_at"] == "" or r["closed_at"] > r["opened_at"] for r in cases)


def test_the_2010_11_cohort_is_the_seeds_by_the_statistics_rules() -> None:
    history = build()
    first, last = FY_2010
    in_period: dict[int, list[dict[str, object]]] = {}
    for e in history.episodes:
        if first <= e["_day"] <= last:
            in_period.setdefault(e["_child"].n, []).append(e)
    assert len(in_period) == MISSING_CHILDREN_2010["total"]
    looked_after = {n for n, es in in_period.items() if any(e["_looked_after"] for e in es)}
    assert len(looked_after) == MISSING_CHILDREN_2010["looked_after"]
    cohort = {name: {c.n for c in group} for name, group in history.cohort.items()}
    assert set(in_period) == set().union(*cohort.values())
    assert looked_after == cohort["looked_after"]
    # Allocations open at a period episode: exactly the looked-after and allocated children.
    opened: dict[str, list[tuple[str, str]]] = {}
    for a in history.allocations:
        opened.setdefault(a["child_id"], []).append((a["opened_at"], a["closed_at"]))

    def open_at(n: int, day: dt.date) -> bool:
        return any(o <= day.isoformat() and (not c or c > day.isoformat())
                   for o, c in opened.get(f"C{n:06d}", []))  # fmt: skip

    allocated = {n for n, es in in_period.items() if any(open_at(n, e["_day"]) for e in es)}
    assert len(allocated) == MISSING_CHILDREN_2010["open_allocation"]
    known = {f"C{n:06d}" for n in cohort["known"] | allocated}
    assert len(known) == MISSING_CHILDREN_2010["known_to_department"]
    # The unknown children: no council record of any kind before the period ends.
    assert not any(f"C{n:06d}" in opened for n in cohort["unknown"])
    assert not any(n in history.care for n in cohort["unknown"] | cohort["known"])


def test_police_rows_are_in_order_and_consistent(city: Path) -> None:
    refs: Counter[str] = Counter()
    people: dict[str, str] = {}
    for path in sorted((city / "police").glob("missing-incidents-20??.csv")):
        for row in _rows(path):
            refs[row["incident_ref"]] += 1
            if "BAD" in row["incident_ref"]:
                continue
            assert row["last_seen_at"] <= row["reported_at"] <= row["found_at"], row
            if row["nhs_number"]:
                assert people.setdefault(row["person_id"], row["nhs_number"]) == row["nhs_number"]
            assert not any(column.startswith("_") for column in row)  # the generator's own
    assert max(refs.values()) == 1  # each incident in one yearly file (late ones in the next)
    absent = Counter(
        r["last_seen_at"] >= "2017-04-01"
        for p in (city / "police").glob("missing-incidents-20??.csv")
        for r in _rows(p)
        if r["classification"] == "ABSENT"
    )
    assert absent[False] > 1000 and absent[True] == 0  # all "missing" from 2017/18


def test_volumes_are_a_leicester_like_citys() -> None:
    history = build()
    for year in range(2012, 2022):
        census = dt.date(year, 3, 31)
        looked_after = sum(p.covers(census) for ps in history.care.values() for p in ps)
        assert 500 <= looked_after <= 700, (year, looked_after)
        episodes = [e for e in history.episodes if e["_day"].year == year]
        children = {e["_child"].n for e in episodes}
        assert 1000 <= len(children) <= 1200, (year, len(children))
        # Looked-after children go missing far more often than others: the long tail.
        share = sum(e["_looked_after"] for e in episodes) / len(episodes)
        assert 0.12 <= share <= 0.4, (year, share)
    starts = Counter(p.start.year for ps in history.care.values() for p in ps)
    assert all(250 <= starts[year] <= 360 for year in range(2010, 2022)), starts
    uasc = Counter(p.start.year for ps in history.care.values() for p in ps if p.uasc)
    assert sum(uasc.values()) > 80 and uasc[2010] == 0 and uasc[2016] > uasc[2013]


def test_health_and_education_rows_are_consistent(city: Path) -> None:
    incidents = {
        r["incident_ref"]: r
        for p in (city / "police").glob("missing-incidents-20??.csv")
        for r in _rows(p)
    }
    health = _rows(city / "health" / "concerns.csv")
    cited = [r for r in health if r["incident_ref"]]
    assert len(cited) > 1000 and all(r["setting"] == "ED" for r in cited)
    for row in cited:  # an attendance after the child was found, about the same child
        incident = incidents[row["incident_ref"]]
        assert row["raised_at"] > incident["found_at"]
        assert (
            row["date_of_birth"]
            == dt.datetime.strptime(incident["date_of_birth"], "%d/%m/%Y").date().isoformat()
        )
    for kind, ref, when in (
        ("health/concerns", "concern_ref", "raised_at"),
        ("health/cse-concerns", "concern_ref", "raised_at"),
        ("education/missing-education", "record_ref", "reported_at"),
        ("education/concerns", "concern_ref", "raised_at"),
        ("education/cse-concerns", "concern_ref", "raised_at"),
    ):
        rows = _rows(city / f"{kind}.csv")
        assert len({r[ref] for r in rows}) == len(rows) > 400, kind
        assert [r[when] for r in rows] == sorted(r[when] for r in rows), kind
        assert all("2010-01-01" <= r[when] < "2022-01-01" for r in rows), kind
        if kind.startswith("education"):
            assert all(upn_check_letter(r["upn"][1:]) == r["upn"][0] for r in rows), kind
            school_days = {dt.date.fromisoformat(r[when][:10]).weekday() for r in rows}
            assert kind.endswith("cse-concerns") or school_days <= {0, 1, 2, 3, 4}, kind
    cce = [r for r in _rows(city / "education" / "concerns.csv") if r["concern"] == "CCE"]
    assert cce and min(r["raised_at"] for r in cce) >= "2015-01-01"


def test_costs_fall_in_quarters_of_a_care_placement(city: Path) -> None:
    history = build()
    stints: dict[str, list[tuple[dt.date, dt.date | None, str, str | None]]] = {}
    for periods in history.care.values():
        for care in periods:
            stints.setdefault(care.child.child_id, []).extend(care.stints())
    rows = _rows(city / "local_authority" / "costs.csv")
    assert len(rows) > 5000
    for row in rows:
        first = dt.date.fromisoformat(row["period_start"])
        last = dt.date.fromisoformat(row["period_end"])
        assert first <= last and (first.month - 1) // 3 == (last.month - 1) // 3, row
        assert (
            first.year == last.year
            and first >= dt.date(2016, 4, 1)
            and float(row["amount_gbp"]) > 0
        )
        assert row["recorded_at"] > row["period_end"] or row["recorded_at"] == "2022-01-10"
        assert any(
            start <= first
            and (end is None or last < end)
            and (row["service"] == "SEMI_INDEPENDENT") == (place == "H5")
            for start, end, place, _ in stints[row["child_id"]]
        ), row
    header = {r["CHILD"] for _, _, folder in _returns(city) for r in _rows(folder / "Header.csv")}
    assert {r["child_id"] for r in rows} <= header
    uasc: set[str] = set()
    for _, _, folder in _returns(city):
        children = [r["CHILD"] for r in _rows(folder / "UASC.csv")]
        assert len(children) == len(set(children))  # one row per child, however many periods
        uasc |= set(children)
    assert len(uasc) > 80


def _returns(city: Path) -> list[tuple[dt.date, dt.date, Path]]:
    """Each year's SSDA903 return: its first and last day, and its folder."""
    folders = sorted((city / "local_authority" / "ssda903").iterdir())
    return [
        (dt.date(int(f.name[:4]), 4, 1), dt.date(int(f.name[:4]) + 1, 3, 31), f) for f in folders
    ]


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def test_the_council_sends_one_ssda903_return_a_financial_year(city: Path) -> None:
    returns = _returns(city)
    assert [f.name for _, _, f in returns] == [
        f"{y}-{(y + 1) % 100:02d}" for y in range(2010, 2022)
    ]
    history = build()
    stints = {
        (care.child.child_id, start.strftime("%d/%m/%Y")): (start, end)
        for periods in history.care.values()
        for care in periods
        for start, end, _, _ in care.stints()
    }
    ended: Counter[tuple[str, str]] = Counter()
    for first, last, folder in returns:
        episodes = _rows(folder / "Episodes.csv")
        for row in episodes:  # open at some time in the year; its end as known at the year's end
            began = _day(row["DECOM"])
            assert began <= last and (not row["DEC"] or first <= _day(row["DEC"]) <= last), row
            assert bool(row["DEC"]) == bool(row["REC"]), row
            _, end = stints[row["CHILD"], row["DECOM"]]
            assert row["DEC"] == (end.strftime("%d/%m/%Y") if end and end <= last else ""), row
            ended[row["CHILD"], row["DECOM"]] += bool(row["DEC"])
        # Every episode open in the year is in its return, and no other.
        assert (
            len(episodes)
            == len({(r["CHILD"], r["DECOM"]) for r in episodes})
            == sum(
                start <= last and (end is None or end >= first) for start, end in stints.values()
            )
        )
        header = [r["CHILD"] for r in _rows(folder / "Header.csv")]
        assert len(header) == len(set(header)) and set(header) == {r["CHILD"] for r in episodes}
        assert {r["CHILD"] for r in _rows(folder / "UASC.csv")} <= set(header)
    # Each ending is returned once, in the year it happened in.
    assert max(ended.values()) == 1
    assert sum(ended.values()) == sum(
        end is not None and end >= returns[0][0] for _, end in stints.values()
    )


def test_a_child_looked_after_across_a_year_end_is_in_both_returns(city: Path) -> None:
    returns = _returns(city)
    carried = 0
    for (_, _, this), (first, _, following) in itertools.pairwise(returns):
        shown_open = {
            (r["CHILD"], r["DECOM"]): r for r in _rows(this / "Episodes.csv") if not r["DEC"]
        }
        later = {(r["CHILD"], r["DECOM"]): r for r in _rows(following / "Episodes.csv")}
        for key, row in shown_open.items():  # the same episode, as it began (RNE S or P)
            assert {k: later[key][k] for k in ("RNE", "PLACE", "URN")} == {
                k: row[k] for k in ("RNE", "PLACE", "URN")
            }
        # And every episode begun before the year was open at the last year's end.
        assert {k for k in later if _day(k[1]) < first} == set(shown_open)
        carried += len(shown_open)
    assert carried > 5000


def test_the_councils_missing_records_are_of_its_looked_after_children(city: Path) -> None:
    starts: Counter[tuple[str, str]] = Counter()
    for first, last, folder in _returns(city):
        header = {r["CHILD"]: r for r in _rows(folder / "Header.csv")}
        episodes: dict[str, list[dict[str, str]]] = {}
        for r in _rows(folder / "Episodes.csv"):
            episodes.setdefault(r["CHILD"], []).append(r)
        rows = _rows(folder / "Missing.csv")
        assert len(rows) > 100
        for row in rows:
            start = _day(row["MIS_START"])
            assert first <= start <= last and row["CHILD"] in header, row
            assert row["DOB"] == header[row["CHILD"]]["DOB"] and row["MISSING"] in ("M", "A")
            assert not row["MIS_END"] or start <= _day(row["MIS_END"]) <= last, row
            assert any(  # looked after that day (or ceasing to be: reported next morning)
                _day(e["DECOM"]) <= start and (not e["DEC"] or start <= _day(e["DEC"]))
                for e in episodes[row["CHILD"]]
            ), row
            starts[row["CHILD"], row["MIS_START"]] += 1
    assert max(starts.values()) == 1  # never two records of a child starting the same day


def test_the_councils_and_polices_records_disagree_as_real_ones_do(city: Path) -> None:
    first = dt.date(2010, 4, 1)
    police: dict[tuple[str, dt.date], set[str]] = {}
    for e in build().episodes:
        if e["_looked_after"] and e["_day"] >= first:
            police.setdefault((e["_child"].child_id, e["_day"]), set()).add(e["classification"])
    council = {
        (r["CHILD"], _day(r["MIS_START"])): r["MISSING"]
        for _, _, folder in _returns(city)
        for r in _rows(folder / "Missing.csv")
    }
    one = dt.timedelta(days=1)
    unrecorded = sum((c, d) not in council and (c, d + one) not in council for c, d in police)
    same_day = [k for k in council if k in police]
    next_day = [(c, d) for c, d in council if (c, d) not in police and (c, d - one) in police]
    own = [k for k in council if k not in police and (k[0], k[1] - one) not in police]
    assert 0.09 <= unrecorded / len(police) <= 0.16  # 12% drawn, and a few same-day pairs
    assert 0.07 <= len(next_day) / len(council) <= 0.13  # the carer reported next morning
    assert 0.03 <= len(own) / len(council) <= 0.07  # absences the police never heard of
    assert sum(council[k] == "A" for k in own) > 0.6 * len(own)
    mapped = {"MISSING": "M", "ABSENT": "A"}
    for c, d in same_day + next_day:  # "M" for the police's MISSING, "A" for ABSENT
        shared = police.get((c, d), set()) | police.get((c, d - one), set())
        assert council[c, d] in {mapped[k] for k in shared}, (c, d)
