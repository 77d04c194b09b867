"""Education's exports: children missing education, schools' safeguarding concerns, and CSE
concerns. Schools know a pupil by UPN; about half their records carry the NHS number too."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from agencies.city._concerns import cse_concerns as _cse_concerns
from agencies.city._concerns import referenced
from agencies.city._dates import day_between, school_day
from agencies.city._history import FIRST, LAST, History, Row
from agencies.city._people import Child


def _pupil(c: Child, rng: random.Random) -> Row:
    return {
        "upn": c.upn,
        "nhs_number": c.nhs if rng.random() < 0.5 else "",
        "date_of_birth": c.born.isoformat(),
        "sex": c.sex,
    }


def missing_education(history: History, rng: random.Random) -> list[Row]:
    """About 220 reports a year of pupils aged 5-15; a third of them children who also went
    missing that year. One in five is not on a school's roll."""
    missers: dict[int, dict[int, Child]] = defaultdict(dict)
    for e in history.episodes:
        if 5 <= e["_child"].age_on(e["_day"]) <= 15:
            missers[e["_day"].year][e["_child"].n] = e["_child"]
    rows: list[Row] = []
    for year in range(FIRST.year, LAST.year + 1):
        wanted = history.scaled(220)
        known = [missers[year][n] for n in sorted(missers[year])]
        chosen = rng.sample(known, min(len(known), wanted // 3))
        pool = history.aged(year, 5, 15)
        chosen += rng.sample(pool, min(len(pool), wanted - len(chosen)))
        for c in chosen:
            day = school_day(day_between(rng, dt.date(year, 1, 5), dt.date(year, 12, 15)))
            rows.append(
                {
                    **_pupil(c, rng),
                    "raised_at": day,
                    "school_urn": c.school if rng.random() < 0.8 else "",
                }
            )
    return [
        {**{k: v for k, v in r.items() if k != "raised_at"}, "reported_at": r["raised_at"]}
        for r in referenced(rows, "CME", key="record_ref")
    ]


def concerns(history: History, rng: random.Random) -> list[Row]:
    """Schools' concerns: a pupil missing (the school day after a found episode), CSE, CCE
    (recorded as such from 2015; OTHER before), and others. About 300 a year, rising."""
    rows: list[Row] = []
    for e in history.episodes:
        c: Child = e["_child"]
        if 5 <= c.age_on(e["_day"]) <= 16 and rng.random() < 0.08:
            day = school_day(e["_found"].date() + dt.timedelta(days=1))
            rows.append({**_pupil(c, rng), "raised_at": day, "concern": "MISSING"})
    for year in range(FIRST.year, LAST.year + 1):
        pool = history.aged(year, 5, 16)
        wanted = history.scaled(220 + 15 * (year - FIRST.year))
        for c in rng.sample(pool, min(len(pool), wanted)):
            concern = rng.choices(("CSE", "CCE", "OTHER"), (25, 20, 55))[0]
            if (concern == "CCE" and year < 2015) or c.age_on(dt.date(year, 7, 1)) < 10:
                concern = "OTHER"
            day = school_day(day_between(rng, dt.date(year, 1, 5), dt.date(year, 12, 15)))
            rows.append({**_pupil(c, rng), "raised_at": day, "concern": concern})
    return referenced(rows, "SC")


def cse_concerns(history: History, rng: random.Random) -> list[Row]:
    """About 15 a year in 2010, rising by 5 a year."""
    return referenced(_cse_concerns(history, rng, 15, 5, lambda c: _pupil(c, rng)), "ED-CSE")
