"""The council's placement costs: one invoice line per placement per quarter, from April 2016
(when the city's finance system, and so its export, begins)."""

from __future__ import annotations

import datetime as dt
import random

from agencies.city._dates import stamp
from agencies.city._history import EXPORTED, LAST, History, Row

SINCE = dt.date(2016, 4, 1)
# Weekly cost in pounds at 2016 prices: a range per kind of placement.
WEEKLY = {"K2": (2_800, 5_200), "H5": (450, 2_200), "U1": (280, 420), "U3": (300, 480)}
AGENCY_FOSTER = (700, 1_050)  # U4-U6
INFLATION = 0.025  # a year


def costs(history: History, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for periods in history.care.values():
        for care in periods:
            for start, end, place, _urn in care.stints():
                low, high = WEEKLY.get(place, AGENCY_FOSTER)
                weekly = rng.uniform(low, high)
                last = min(end - dt.timedelta(days=1) if end else LAST, LAST)
                for first, upto in _quarters(max(start, SINCE), last):
                    years = (first - SINCE).days / 365.25
                    amount = weekly * (1 + INFLATION) ** years * ((upto - first).days + 1) / 7
                    recorded = upto + dt.timedelta(days=rng.randint(5, 40))
                    rows.append(
                        {
                            "child_id": care.child.child_id,
                            "nhs_number": care.child.nhs,
                            "service": "SEMI_INDEPENDENT" if place == "H5" else "PLACEMENT",
                            "amount_gbp": f"{amount:.2f}",
                            "period_start": stamp(first),
                            "period_end": stamp(upto),
                            "recorded_at": stamp(min(recorded, EXPORTED.date())),
                        }
                    )
    rows.sort(key=lambda r: (r["recorded_at"], r["child_id"], r["period_start"]))
    return [{"cost_ref": f"INV-{i:07d}", **r} for i, r in enumerate(rows, 1)]


def _quarters(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The parts of [first, last] in each calendar quarter."""
    out = []
    while first <= last:
        month = (first.month - 1) // 3 * 3 + 4
        next_quarter = dt.date(first.year + (month > 12), (month - 1) % 12 + 1, 1)
        upto = min(last, next_quarter - dt.timedelta(days=1))
        out.append((first, upto))
        first = next_quarter
    return out
