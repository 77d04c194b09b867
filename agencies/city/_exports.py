"""The history written as the files each agency exports, in the order the demo imports them.

The mess real exports have is put in on purpose: police incidents first exported a year late;
a 2016 re-export with risk regradings and corrected find times; the 2015 file sent twice; a few
bad rows (which the adapters refuse, and which are no record in any figure); some police records
without an NHS number, which the council links later; the 2017/18 move from recording some
episodes as absent to recording all as missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from agencies.city import _education as education
from agencies.city import _health as health
from agencies.city import _ssda903 as ssda903
from agencies.city._costs import costs
from agencies.city._dates import at_time, day_between, stamp
from agencies.city._history import EXPORTED, HOMES, History, Row
from agencies.city._people import Child
from agencies.city._published import CSE_CASES, CSE_CASES_OTHER, CSE_ONLINE, CSE_ONLINE_OTHER

POLICE_COLUMNS = (
    "incident_ref", "person_id", "nhs_number", "date_of_birth", "sex", "reported_at",
    "last_seen_at", "missing_from", "placement_ref", "missing_from_postcode", "risk",
    "risk_graded_at", "classification", "found_at", "found_by", "found_location",
    "found_postcode",
)  # fmt: skip


@dataclass(frozen=True)
class Export:
    """One file (or SSDA903 folder) to import: ``hub import AGENCY KIND PATH``."""

    agency: str
    kind: str
    path: Path
    note: str = ""


def write(history: History, out: Path) -> list[Export]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(history.rng.random())  # noqa: S311 - synthetic data, not secrets
    exports = _ssda903(history, out / "local_authority" / "ssda903")
    exports.append(_csv(out, "local_authority", "allocations", history.allocations))
    exports += _police(history, out, rng)
    exports.append(_csv(out, "local_authority", "return-interviews", _interviews(history, rng)))
    exports.append(_csv(out, "local_authority", "cse-cases", _cse_cases(history, rng)))
    exports.append(_csv(out, "local_authority", "alerts", _alerts(history, rng)))
    exports.append(_csv(out, "local_authority", "costs", costs(history, _rng(history, "costs"))))
    for agency, kind, rows in (
        ("health", "concerns", health.concerns),
        ("health", "cse-concerns", health.cse_concerns),
        ("education", "missing-education", education.missing_education),
        ("education", "concerns", education.concerns),
        ("education", "cse-concerns", education.cse_concerns),
    ):
        exports.append(_csv(out, agency, kind, rows(history, _rng(history, f"{agency}/{kind}"))))
    # Last: a link is made for every child some council export above names.
    exports.append(_csv(out, "local_authority", "identity-links", _links(history, rng)))
    return exports


def _rng(history: History, export: str) -> random.Random:
    """Each partner export's own draws, so adding one leaves the others' files as they were."""
    return random.Random(f"{history.seed}/{history.scale}/{export}")  # noqa: S311 - synthetic


def _csv(
    out: Path, agency: str, kind: str, rows: list[Row], name: str = "", note: str = ""
) -> Export:
    path = out / agency / f"{name or kind}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [k for k in rows[0] if not k.startswith("_")] if rows else []
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows([row.get(k, "") for k in columns] for row in rows)
    return Export(agency, kind, path, note)


def _ssda903(history: History, folder: Path) -> list[Export]:
    """One return a financial year, each its own folder (``ssda903/2010-11``, ...)."""
    rngs = _rng(history, "ssda903"), _rng(history, "ssda903/missing")
    return [
        Export("local_authority", "ssda903", path) for path in ssda903.write(history, folder, *rngs)
    ]


def _police(history: History, out: Path, rng: random.Random) -> list[Export]:
    by_year: dict[int, list[Row]] = defaultdict(list)
    for row in history.episodes:
        year = row["_day"].year
        late = rng.random() < 0.02 and year < 2021  # first exported with next year's
        by_year[year + late].append(row)
    exports = []
    for year in sorted(by_year):
        rows = sorted(by_year[year], key=lambda r: r["reported_at"])
        if year == 2013:
            rows = rows + _bad_rows(rows[0])
        exports.append(_csv(out, "police", "missing-incidents", rows, f"missing-incidents-{year}"))
    # The 2016 incidents exported again: some regraded since, some find times corrected.
    again = []
    for row in by_year[2016]:
        row = dict(row)
        if rng.random() < 0.06 and row["risk"] in ("LOW", "MEDIUM"):
            row["risk"] = "HIGH"
            row["risk_graded_at"] = stamp(
                dt.datetime.fromisoformat(row["reported_at"]) + dt.timedelta(hours=2)
            )
        elif rng.random() < 0.04:
            row["found_at"] = stamp(row["_found"] + dt.timedelta(minutes=45))
        again.append(row)
    exports.append(
        _csv(out, "police", "missing-incidents", again, "missing-incidents-2016-again",
             "2016 again: regradings and corrected find times")
    )  # fmt: skip
    resent = next(e for e in exports if e.path.name == "missing-incidents-2015.csv")
    exports.append(Export("police", "missing-incidents", resent.path, "2015 sent twice"))
    return exports


def _bad_rows(model: Row) -> list[Row]:
    """Three rows an adapter must refuse, with line and column: no figure counts them."""
    bad = [dict(model) for _ in range(3)]
    bad[0].update(incident_ref="MP-2013-BAD1", last_seen_at="31/02/2013 25:00")
    bad[1].update(incident_ref="MP-2013-BAD2", nhs_number="9990000019")
    bad[2].update(incident_ref="MP-2013-BAD3", risk="SEVERE")
    return bad


def _interviews(history: History, rng: random.Random) -> list[Row]:
    """Offered after episodes of looked-after children, and of every child from 2015 (the
    2014 statutory guidance); the cohort's unknown children have none before 2015."""
    rows = []
    for e in history.episodes:
        c: Child = e["_child"]
        if not (e["_looked_after"] or e["_day"] >= dt.date(2015, 1, 1)) or rng.random() > 0.8:
            continue
        history.la_children.add(c.n)
        found: dt.datetime = e["_found"]
        offered = found + dt.timedelta(hours=rng.randint(2, 30))
        r = rng.random()
        outcome = "COMPLETED" if r < 0.7 else "DECLINED" if r < 0.9 else ""
        held = offered + dt.timedelta(hours=rng.randint(4, 140)) if outcome else None
        completed = outcome == "COMPLETED"
        rows.append(
            {
                "child_id": c.child_id,
                "nhs_number": c.nhs,
                "episode_ref": e["incident_ref"],
                "offered_at": stamp(offered),
                "outcome": outcome,
                "outcome_at": stamp(held),
                "conducted_by": rng.choice(("OWN", "INDEPENDENT")) if completed else "",
                **{
                    k: ("Y" if rng.random() < p else "N") if completed else ""
                    for k, p in (
                        ("harmed_physically", 0.08),
                        ("sexually_assaulted_or_exploited", 0.06),
                        ("drugs_sale", 0.07),
                        ("criminal_activity", 0.1),
                    )
                },
            }
        )
    return rows


def _cse_cases(history: History, rng: random.Random) -> list[Row]:
    """Exactly the seeds' cases per year (and online ones); some go online only on
    reassessment, which still counts as an online element."""
    unknown = {c.n for c in history.cohort["unknown"]}
    rows = []
    for year in range(2010, 2022):
        total = history.scaled(CSE_CASES.get(year) or CSE_CASES_OTHER[year])
        on = history.scaled(CSE_ONLINE.get(year) or CSE_ONLINE_OTHER[year])
        mid = dt.date(year, 7, 1)
        pool = [
            c
            for c in history.children
            if 11 <= c.age_on(mid) <= 17 and not (c.n in unknown and year <= 2011)
        ]
        for i, c in enumerate(rng.sample(pool, total)):
            history.la_children.add(c.n)
            opened = day_between(rng, dt.date(year, 1, 2), dt.date(year, 12, 30))
            is_online = i < on
            later = is_online and rng.random() < 0.3  # assessed online after opening
            assessed = opened + dt.timedelta(days=rng.randint(10, 60))
            closes = opened + dt.timedelta(days=rng.randint(60, 400))
            rows.append(
                {
                    "case_ref": f"CSE-{year}-{i + 1:04d}",
                    "child_id": c.child_id,
                    "nhs_number": c.nhs,
                    "opened_at": stamp(opened),
                    "risk_level": rng.choice(("LOW", "MEDIUM", "HIGH")),
                    "online_element": "Y" if is_online else "N",
                    "assessed_at": stamp(assessed) if later else "",
                    "closed_at": stamp(closes) if closes < EXPORTED.date() else "",
                    "_later": later,
                }
            )
    return rows


def _alerts(history: History, rng: random.Random) -> list[Row]:
    """Safeguarding alerts about children in children's homes, most at the hot spots."""
    rows: list[Row] = []
    for periods in history.care.values():
        for care in periods:
            if care.place != "K2" or rng.random() > (0.5 if care.urn in HOMES[:3] else 0.12):
                continue
            c = care.child
            first, last = max(care.start, dt.date(2010, 1, 1)), care.end or dt.date(2021, 12, 31)
            if last <= first:
                continue  # the stay ended before 2010
            day = day_between(rng, first, last - dt.timedelta(days=1))
            rows.append(
                {
                    "alert_ref": f"A-{day.year}-{len(rows) + 1:05d}",
                    "child_id": c.child_id,
                    "nhs_number": c.nhs,
                    "raised_at": stamp(at_time(day, rng, 8, 18)),
                    "setting": "CHILDRENS_HOME",
                    "placement_ref": care.urn,
                    "categories": rng.choice(("CSE", "CSE;SEXUAL_ABUSE", "CCE", "SEXUAL_ABUSE")),
                }
            )
    return rows


def _links(history: History, rng: random.Random) -> list[Row]:
    """The council links each police record it recognises that has no NHS number."""
    rows: list[Row] = []
    for c in history.children:
        if c.n in history.la_children and not c.police_has_nhs:
            rows.append(
                {
                    "link_ref": f"L-{len(rows) + 1:05d}",
                    "child_id": c.child_id,
                    "nhs_number": c.nhs,
                    "other_police_person_id": c.person_id,
                    "linked_at": stamp(day_between(rng, dt.date(2012, 1, 1), dt.date(2021, 12, 1))),
                }
            )
    return rows
