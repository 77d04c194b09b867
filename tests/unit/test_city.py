"""The synthetic city: seeded, its files readable by the adapters' own rules, and the seeds'
figures contained exactly by construction."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from agencies.city import generate
from agencies.city._history import build
from agencies.city._published import CSE_CASES, CSE_ONLINE, FY_2010, MISSING_CHILDREN_2010


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
