"""What each record looks like, derived from its facts alone. Pure functions: the projector
gathers the living facts, these say what rows they make.

The counting rules live here once: a retracted fact is not alive and is never passed in;
a corrected fact arrives with its replacement payload; an episode without a living
``missing.reported`` is no occasion, and the facts citing it are orphans.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from contracts.vocabulary import FINDINGS, RETURN_INTERVIEW_WINDOW, RISK_GRADES
from projections._facts import Fact, ordered
from projections._time import duration_us, london_day
from projections._timeline import Timeline

_RI_WINDOW_US = duration_us(RETURN_INTERVIEW_WINDOW)  # ri_72h, ri_declined_72h: within it
_RETURN_INTERVIEWS = (
    "return_interview.offered",
    "return_interview.completed",
    "return_interview.declined",
)


class EpisodeRow(NamedTuple):
    ref: str
    root: bytes
    day: int
    last_seen_us: int
    classification: str
    risk: str
    risk_max: str
    looked_after: bool
    uasc: bool
    allocated: bool
    known: bool
    found: bool
    found_us: int | None
    ri_offered: bool
    ri_completed: bool
    ri_72h: bool
    harmed_physically: bool
    sexually_assaulted_or_exploited: bool
    drugs_sale: bool
    criminal_activity: bool
    missing_from: str
    placement_ref: str | None
    postcode_district: str | None
    placement_type: str | None
    ri_declined_72h: bool  # last, so positional uses of the row still hold


class OrphanRow(NamedTuple):
    event_id: bytes
    ref: str
    day: int


class AlertRow(NamedTuple):
    ref: str
    day: int
    setting: str
    cse: bool
    sexual_abuse: bool
    cce: bool


class InvestigationRow(NamedTuple):
    ref: str
    day: int
    cites_childrens_home: bool


class CseCaseRow(NamedTuple):
    ref: str
    day: int
    online_element: bool


class PlanRow(NamedTuple):
    ref: str
    root: bytes
    day: int
    start_us: int
    earlier_plan: bool


class CostRow(NamedTuple):
    event_id: bytes
    root: bytes
    day: int
    service: str
    pence: int


class UascRow(NamedTuple):
    root: bytes
    start_us: int
    end_us: int | None


StatusOf = Callable[[bytes], tuple[bytes, Timeline]]
"""A child id -> (the root id of everyone the child is linked with, their timeline)."""


def episode(
    ref: str, facts: list[Fact], status_of: StatusOf
) -> tuple[EpisodeRow | None, list[OrphanRow]]:
    """The occasion ``ref`` (or None), and the orphans: facts citing it when it has no report."""
    facts = ordered([f for f in facts if f.alive])
    reports = sorted((f for f in facts if f.type == "missing.reported"), key=lambda f: f.position)
    if not reports:
        return None, [OrphanRow(f.event_id, ref, london_day(f.occurred_us)) for f in facts]
    report = reports[0]  # a second report of the same incident is the same occasion
    p = report.payload
    assert report.child is not None
    root, timeline = status_of(report.child)
    last_seen = report.at("last_seen_at")
    risk = p["risk"]
    risks = [risk]
    for fact in facts:
        if fact.type == "missing.risk_regraded":
            risk = fact.payload["risk"]
            risks.append(risk)
    found = [f.at("found_at") for f in facts if f.type == "missing.found"]
    found_us = min(found) if found else None
    interviews = [f for f in facts if f.type in _RETURN_INTERVIEWS]
    completed = [f for f in interviews if f.type == "return_interview.completed"]
    declined = [f for f in interviews if f.type == "return_interview.declined"]
    findings = {name: any(f.payload["findings"][name] for f in completed) for name in FINDINGS}
    status = timeline.at(last_seen)
    where = p["missing_from"]
    return (
        EpisodeRow(
            ref=ref,
            root=root,
            day=london_day(last_seen),
            last_seen_us=last_seen,
            classification=p["classification"],
            risk=risk,
            risk_max=max(risks, key=RISK_GRADES.index),
            looked_after=status.looked_after,
            uasc=status.uasc,
            allocated=status.allocated,
            known=timeline.known_at(last_seen),
            found=found_us is not None,
            found_us=found_us,
            ri_offered=bool(interviews),
            ri_completed=bool(completed),
            ri_72h=found_us is not None
            and any(f.occurred_us <= found_us + _RI_WINDOW_US for f in completed),
            **findings,
            missing_from=where["kind"],
            placement_ref=where.get("placement_ref"),
            postcode_district=where.get("postcode_district"),
            placement_type=status.placement_type,
            ri_declined_72h=found_us is not None
            and any(f.occurred_us <= found_us + _RI_WINDOW_US for f in declined),
        ),
        [],
    )


def alert(ref: str, facts: list[Fact]) -> AlertRow | None:
    raised = _first(facts, "safeguarding.alert_raised")
    if raised is None:
        return None
    categories = set(raised.payload["categories"])
    return AlertRow(
        ref,
        london_day(raised.occurred_us),
        raised.payload["setting"],
        "cse" in categories,
        "sexual_abuse" in categories,
        "cce" in categories,
    )


def investigation(
    ref: str, facts: list[Fact], alert_setting: Callable[[str], str | None]
) -> InvestigationRow | None:
    started = _first(facts, "safeguarding.organised_abuse_investigation_started")
    if started is None:
        return None
    cites = any(
        alert_setting(alert_ref) == "childrens_home" for alert_ref in started.payload["alert_refs"]
    )
    return InvestigationRow(ref, london_day(started.occurred_us), cites)


def cse_case(ref: str, facts: list[Fact]) -> CseCaseRow | None:
    opened = _first(facts, "cse.case_opened")
    if opened is None:
        return None
    online = any(
        f.payload["online_element"]
        for f in facts
        if f.alive and f.type in ("cse.case_opened", "cse.case_reassessed")
    )
    return CseCaseRow(ref, london_day(opened.occurred_us), online)


def plans(root: bytes, facts: list[Fact]) -> list[PlanRow]:
    """The child protection plans of one child (all their identities), each knowing whether
    the child had a plan that started before it."""
    starts: dict[str, Fact] = {}
    for fact in ordered([f for f in facts if f.alive and f.type == "cp.plan_started"]):
        starts.setdefault(fact.payload["plan_ref"], fact)
    first = min((f.occurred_us for f in starts.values()), default=None)
    return [
        PlanRow(ref, root, london_day(f.occurred_us), f.occurred_us, f.occurred_us != first)
        for ref, f in starts.items()
    ]


def costs(root: bytes, facts: list[Fact]) -> list[CostRow]:
    rows = []
    for fact in facts:
        if fact.alive and fact.type == "cost.recorded":
            p = fact.payload
            pence = int(Decimal(p["amount_gbp"]) * 100)
            day = int(p["period_start"].replace("-", ""))
            rows.append(CostRow(fact.event_id, root, day, p["service"], pence))
    return rows


def uasc_looked_after(root: bytes, timeline: Timeline) -> list[UascRow]:
    return [UascRow(root, start, end) for start, end in timeline.uasc_looked_after()]


def _first(facts: list[Fact], event_type: str) -> Fact | None:
    living = [f for f in facts if f.alive and f.type == event_type]
    return min(living, key=lambda f: f.position) if living else None
