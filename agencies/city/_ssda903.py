"""The council's SSDA903 returns: one a financial year (1 April to 31 March), as the DfE has them.

Each year's return holds every episode open at some time in the year, as the council returned it
at the year's end: an episode that ended after 31 March is shown open (no DEC or REC), and one
that began before the year keeps its real DECOM and RNE, so a child in care since before the
year has no RNE ``S`` row in it. The last return is the part-year 2021/22, as at the export.

Each return also has the council's ``Missing`` table: its own record of its looked-after
children's episodes away from placement that began in the year. It is drawn from the police's
episodes of children looked after at the time, and disagrees with them as real records do:
some police episodes the council never recorded, some it records from the next morning (when
the carer reported), and some absences the police never heard of.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agencies.city._dates import eighteenth_birthday, ssda903_date
from agencies.city._history import EXPORTED, FIRST, LAST, History, Row
from agencies.city._people import Child

HEADER = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES = (
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
)  # fmt: skip
UASC = ("CHILD", "SEX", "DOB", "DUC")
MISSING = ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")

CARE_PLAN_MOVES = 0.25  # moves between placements recorded with REASON_PLACE_CHANGE CARPL
POLICE_ONLY = 0.12  # police episodes of looked-after children the council has no record of
NEXT_MORNING = 0.10  # council records starting the day after the police's last-seen date
ENDS_A_DAY_LATER = 0.08  # council records ending the day after the police's find
COUNCIL_ONLY = 0.05  # council records with no police episode (mostly absences)


@dataclass(frozen=True)
class Year:
    """A financial year: the period of one return."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return f"{self.first.year}-{(self.first.year + 1) % 100:02d}"


def years() -> list[Year]:
    """The first whole financial year of the history to the one holding its last day."""
    start = FIRST.year + ((FIRST.month, FIRST.day) > (4, 1))
    end = LAST.year - (LAST.month < 4)
    return [Year(dt.date(y, 4, 1), dt.date(y + 1, 3, 31)) for y in range(start, end + 1)]


@dataclass(frozen=True)
class _Stint:
    """One episode (a placement within a period of care), as it stands at the export."""

    child: Child
    start: dt.date
    end: dt.date | None
    rne: str
    place: str
    urn: str | None
    rec: str
    reason: str


def write(
    history: History, folder: Path, rng: random.Random, missing_rng: random.Random
) -> list[Path]:
    """Write one return folder a year under ``folder``; return them in year order."""
    stints = _stints(history, rng)
    by_year = missing(history, missing_rng)
    folders = []
    for year in years():
        path = folder / year.label
        path.mkdir(parents=True, exist_ok=True)
        open_ = [
            s for s in stints if s.start <= year.last and (s.end is None or s.end >= year.first)
        ]
        children: dict[int, list[_Stint]] = {}
        for s in open_:
            children.setdefault(s.child.n, []).append(s)
        _table(path / "Header.csv", HEADER, [_header(ss, year) for ss in children.values()])
        _table(path / "Episodes.csv", EPISODES, [_episode(s, year) for s in open_])
        _table(
            path / "UASC.csv",
            UASC,
            [
                [c.child_id, _sex(c), ssda903_date(c.born), ssda903_date(eighteenth_birthday(c))]
                for c in (ss[0].child for ss in children.values())
                if any(care.uasc and care.start <= year.last for care in history.care[c.n])
            ],
        )
        rows = by_year.get(year.label, [])
        _table(path / "Missing.csv", MISSING, [[r[k] for k in MISSING] for r in rows])
        folders.append(path)
    return folders


def _stints(history: History, rng: random.Random) -> list[_Stint]:
    """Every child's episodes, by child and start, with the draws made once for each."""
    stints = []
    for n, periods in sorted(history.care.items()):
        history.la_children.add(n)
        for care in sorted(periods, key=lambda p: p.start):
            placements = care.stints()
            for i, (start, ends, place, urn) in enumerate(placements):
                rec = "X1" if i + 1 < len(placements) else ("E8" if care.end else "")
                reason = "CARPL" if i and rng.random() < CARE_PLAN_MOVES else ""
                rne = "P" if i else "S"
                stints.append(_Stint(care.child, start, ends, rne, place, urn, rec, reason))
    return stints


def _sex(c: Child) -> str:
    return "1" if c.sex == "M" else "2"


def _header(stints: list[_Stint], year: Year) -> list[str]:
    c = stints[0].child
    # A UPN once the child is of school age (UN1: under 6, none yet), as the year's return has it.
    until = min(max(s.end or LAST for s in stints), year.last, LAST)
    upn = c.upn if c.age_on(until) >= 5 else "UN1"
    return [c.child_id, _sex(c), ssda903_date(c.born), "WBRI", upn, "", ""]


def _episode(s: _Stint, year: Year) -> list[str]:
    ended = s.end is not None and s.end <= year.last
    c = s.child
    return [
        c.child_id, ssda903_date(s.start), s.rne, "C2", "N1", s.place,
        "PR1" if s.place == "U1" else "PR4", ssda903_date(s.end) if ended else "",
        s.rec if ended else "", s.reason, f"{c.district} 1", f"{c.district} 1", s.urn or "",
    ]  # fmt: skip


def missing(history: History, rng: random.Random) -> dict[str, list[Row]]:
    """The council's records of looked-after children's episodes away from placement, by the
    return (year label) their start falls in. ``_incident`` is the police episode a record
    shares (empty for the council's own)."""
    returns = years()
    first, until = returns[0].first, EXPORTED.date()
    taken: set[tuple[int, dt.date]] = set()
    police: set[tuple[int, dt.date]] = set()
    records: list[Row] = []
    for e in history.episodes:
        if not e["_looked_after"]:
            continue
        c: Child = e["_child"]
        day: dt.date = e["_day"]
        police.add((c.n, day))
        dropped = rng.random() < POLICE_ONLY
        later = rng.random() < NEXT_MORNING and day < LAST
        ends = e["_found"].date() + dt.timedelta(days=rng.random() < ENDS_A_DAY_LATER)
        if dropped or day < first:
            continue
        start = day + dt.timedelta(days=later)
        if (c.n, start) in taken:
            start = day  # the next morning's report is of another episode that day
        if (c.n, start) in taken:
            continue  # two police episodes in a day: the council recorded one
        taken.add((c.n, start))
        kind = "M" if e["classification"] == "MISSING" else "A"
        records.append(_record(c, kind, start, max(ends, start), e["incident_ref"]))
    # Absences the police never heard of, near a recorded one, while the child was in care.
    wanted = round(len(records) * COUNCIL_ONLY / (1 - COUNCIL_ONLY))
    own: list[Row] = []
    for _ in range(wanted * 20):
        if len(own) == wanted:
            break
        anchor = rng.choice(records)
        c = anchor["_child"]
        day = anchor["_start"] + dt.timedelta(days=rng.randint(2, 25) * rng.choice((-1, 1)))
        kind = "A" if rng.random() < 0.8 else "M"
        ends = day + dt.timedelta(days=rng.random() < 0.3)
        if (
            not first <= day <= LAST
            or {(c.n, day), (c.n, day - dt.timedelta(days=1))} & police
            or (c.n, day) in taken
            or history.looked_after(c, day) is None
        ):
            continue
        taken.add((c.n, day))
        own.append(_record(c, kind, day, ends, ""))
    by_year: dict[str, list[Row]] = {}
    for year in returns:
        rows = [r for r in records + own if year.first <= r["_start"] <= year.last]
        for r in rows:
            if r["_end"] > min(year.last, until):
                r["MIS_END"] = ""  # still away at the year's end, as returned
        by_year[year.label] = sorted(rows, key=lambda r: (r["_start"], r["CHILD"]))
    return by_year


def _record(c: Child, kind: str, start: dt.date, ends: dt.date, incident: str) -> Row:
    return {
        "CHILD": c.child_id,
        "DOB": ssda903_date(c.born),
        "MISSING": kind,
        "MIS_START": ssda903_date(start),
        "MIS_END": ssda903_date(ends),
        "_child": c,
        "_start": start,
        "_end": ends,
        "_incident": incident,
    }


def _table(path: Path, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)
