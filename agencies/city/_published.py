"""The figures the seeds publish for the city, which the generated history is built to contain
exactly (at ``--scale 1``), so the hub's answers can be checked against them."""

from __future__ import annotations

import datetime as dt

FY_2010 = (dt.date(2010, 4, 6), dt.date(2011, 4, 5))
"""6 April 2010 to 5 April 2011: the period of the council's FOI answer (seed 002)."""

MISSING_CHILDREN_2010 = {
    "total": 1132,
    "known_to_department": 466,
    "looked_after": 73,
    "open_allocation": 159,
}
"""Children reported missing in FY_2010, and of them known to the department, looked after,
and with an open allocation (seed 002). Every looked-after child also had an allocation."""

CSE_CASES = {2016: 160, 2017: 170, 2018: 148, 2019: 190, 2020: 215}
"""CSE cases opened per calendar year (seed 004)."""

CSE_ONLINE = {2017: 48, 2018: 74, 2019: 84, 2020: 123}
"""Of them, cases with an online element (seed 004)."""

# Years the seeds do not give: a plausible rise, not a published figure.
CSE_CASES_OTHER = {2010: 62, 2011: 78, 2012: 96, 2013: 118, 2014: 131, 2015: 147, 2021: 231}
CSE_ONLINE_OTHER = {2010: 6, 2011: 9, 2012: 14, 2013: 19, 2014: 24, 2015: 31, 2016: 38, 2021: 142}
