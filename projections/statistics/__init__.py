"""Every FOI statistic, each defined once in its own module (see docs/statistics.md)."""

from __future__ import annotations

from projections.statistics import (
    cp_repeat_plans,
    cse_cases,
    highest_cost,
    looked_after_missing,
    missing_children,
    missing_occasions,
    missing_reconciliation,
    organised_abuse_investigations,
    return_interview_findings,
    safeguarding_alerts,
    uasc_looked_after,
)
from projections.statistics._base import Figures, Query, Statistic

STATISTICS: dict[str, Statistic] = {
    module.STATISTIC.name: module.STATISTIC
    for module in (
        missing_occasions,
        missing_children,
        return_interview_findings,
        uasc_looked_after,
        safeguarding_alerts,
        organised_abuse_investigations,
        cse_cases,
        highest_cost,
        cp_repeat_plans,
        looked_after_missing,
        missing_reconciliation,
    )
}

__all__ = ["STATISTICS", "Figures", "Query", "Statistic"]
