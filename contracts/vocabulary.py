"""The words the contract, the agency formats and the statistics share, each defined once.

The contract's models take their types from here, and the projections and agency formats
import the same names, so a grade, a finding or the return-interview window cannot mean one
thing to the hub and another to a statistic.

Event type names are the contract's own: each model's ``event_type`` Literal, gathered in
``contracts.EVENT_TYPES``. Code that names a type writes it as the string the contract uses
(``"missing.reported"``, also inside SQL); ``tests/unit/test_vocabulary.py`` checks every such
string in the projections and the agencies is one of ``EVENT_TYPES``, and that the models
and these names agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal, get_args

RiskGrade = Literal["no_apparent_risk", "low", "medium", "high"]
"""The police's grading of a missing episode's risk (``missing.reported``,
``missing.risk_regraded``), lowest first."""

RISK_GRADES: Final[tuple[RiskGrade, ...]] = get_args(RiskGrade)
"""The risk grades in order, lowest first: of the grades an episode was given, its highest
is the one that comes last here."""

FINDINGS: Final = (
    "harmed_physically",
    "sexually_assaulted_or_exploited",
    "drugs_sale",
    "criminal_activity",
)
"""What a completed return interview records, each yes or no: the fields of
``return_interview.completed``'s ``findings``, in the contract's order."""

RETURN_INTERVIEW_WINDOW: Final = dt.timedelta(hours=72)
"""Statutory guidance: a child who has been missing is offered a return interview within
72 hours of their return (from ``missing.found``'s ``found_at``)."""
