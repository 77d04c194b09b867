"""Health's exports: safeguarding concerns from emergency departments, sexual health clinics
and GPs, and CSE concerns shared with the partnership. Health knows every child by NHS number."""

from __future__ import annotations

import datetime as dt
import random

from agencies.city._concerns import cse_concerns as _cse_concerns
from agencies.city._concerns import referenced
from agencies.city._dates import at_time, day_between
from agencies.city._history import FIRST, LAST, History, Row
from agencies.city._people import Child


def _child(c: Child) -> Row:
    return {"nhs_number": c.nhs, "date_of_birth": c.born.isoformat(), "sex": c.sex}


def concerns(history: History, rng: random.Random) -> list[Row]:
    """Emergency department attendances after some episodes (an injury, drink or drugs),
    citing the police incident; and concerns from clinics and GPs not tied to an episode."""
    rows: list[Row] = []
    for e in history.episodes:
        if rng.random() < 0.05:
            rows.append(
                {
                    **_child(e["_child"]),
                    "raised_at": e["_found"] + dt.timedelta(minutes=rng.randint(20, 600)),
                    "setting": "ED",
                    "concern": rng.choice(("INJURY", "SUBSTANCE_MISUSE")),
                    "incident_ref": e["incident_ref"],
                }
            )
    for year in range(FIRST.year, LAST.year + 1):
        pool = history.aged(year, 12, 17)
        wanted = history.scaled(70 + 6 * (year - FIRST.year))
        for c in rng.sample(pool, min(len(pool), wanted)):
            setting = rng.choices(("SEXUAL_HEALTH", "GP", "OTHER"), (55, 30, 15))[0]
            day = day_between(rng, dt.date(year, 1, 1), dt.date(year, 12, 31))
            rows.append(
                {
                    **_child(c),
                    "raised_at": at_time(day, rng, 9, 18),
                    "setting": setting,
                    "concern": "CSE" if setting == "SEXUAL_HEALTH" and rng.random() < 0.6
                    else "OTHER",
                    "incident_ref": "",
                }
            )  # fmt: skip
    return referenced(rows, "H")


def cse_concerns(history: History, rng: random.Random) -> list[Row]:
    """About 30 a year in 2010, rising by 5 a year."""
    return referenced(_cse_concerns(history, rng, 30, 5, _child), "H-CSE")
