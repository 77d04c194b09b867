"""A fact as the projections hold it, and which record it belongs to.

Each fact is filed under one *group*: the record it contributes to (an episode, an alert, an
investigation, a CSE case, a child protection plan), or none. Facts about a child are also
found by their child, so everything recorded about a child can be gathered when identities
are linked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections._time import instant

LA = "local_authority"

EPISODE_TYPES = frozenset(
    {
        "missing.reported",
        "missing.risk_regraded",
        "missing.found",
        "police.safe_and_well_check",
        "police.crime_linked",
        "police.disruption_recorded",
        "return_interview.offered",
        "return_interview.completed",
        "return_interview.declined",
        "health.concern_raised",
    }
)
STATUS_TYPES = frozenset(
    {
        "care.period_started",
        "care.period_ended",
        "care.placement_started",
        "care.placement_ended",
        "care.uasc_status_changed",
        "allocation.opened",
        "allocation.closed",
    }
)
COUNCIL_MISSING = "care.missing_recorded"
PER_CHILD_TYPES = STATUS_TYPES | {"cp.plan_started", "cost.recorded", COUNCIL_MISSING}
"""Facts re-derived per child (timeline, plans, costs, the council's missing records and
their reconciliation with police episodes) rather than per record."""

_REF_GROUPS = {
    "safeguarding.alert_raised": ("alert", "alert_ref"),
    "safeguarding.organised_abuse_investigation_started": ("investigation", "investigation_ref"),
    "cse.case_opened": ("cse", "case_ref"),
    "cse.case_reassessed": ("cse", "case_ref"),
    "cse.case_closed": ("cse", "case_ref"),
    "cp.plan_started": ("plan", "plan_ref"),
    "cp.plan_ended": ("plan", "plan_ref"),
}


_EPISODE = ("episode_ref",)
KEPT: dict[str, tuple[str, ...]] = {
    "missing.reported": (*_EPISODE, "last_seen_at", "missing_from", "risk", "classification"),
    "missing.risk_regraded": (*_EPISODE, "risk"),
    "missing.found": (*_EPISODE, "found_at", "found_by", "found_location"),
    "police.safe_and_well_check": (*_EPISODE, "concerns_identified"),
    "police.disruption_recorded": (*_EPISODE, "tactic"),
    "police.crime_linked": (*_EPISODE, "role"),
    "return_interview.offered": _EPISODE,
    "return_interview.completed": (*_EPISODE, "conducted_by", "findings"),
    "return_interview.declined": _EPISODE,
    "health.concern_raised": (*_EPISODE, "setting", "concern"),
    "care.period_started": ("uasc",),
    "care.placement_started": ("placement_ref", "placement_type", "postcode_district"),
    "care.placement_ended": ("placement_ref",),
    "care.uasc_status_changed": ("uasc",),
    "allocation.opened": ("worker_role",),
    "allocation.closed": ("worker_role",),
    "safeguarding.alert_raised": ("alert_ref", "setting", "placement_ref", "categories"),
    "safeguarding.organised_abuse_investigation_started": ("investigation_ref", "alert_refs"),
    "cse.case_opened": ("case_ref", "risk_level", "online_element"),
    "cse.case_reassessed": ("case_ref", "risk_level", "online_element"),
    "cse.case_closed": ("case_ref",),
    "cse.concern_raised": ("risk_level", "online_element"),
    "cp.plan_started": ("plan_ref",),
    "cp.plan_ended": ("plan_ref",),
    "cost.recorded": ("service", "amount_gbp", "period_start", "period_end"),
    "education.concern_raised": ("concern",),
    # The council's key (episode_ref) is not kept: it is the council's, and nothing reads it.
    COUNCIL_MISSING: ("kind", "started_on", "ended_on", "police_episode_ref"),
}
"""The payload fields the projection keeps, per type: what the statistics read, and never
free text or a second child's identifiers (``identity.*`` keep nothing). A type not listed
keeps nothing. The store holds the whole event; the projection is a read model."""


def kept(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in KEPT.get(event_type, ()) if k in payload}


@dataclass(slots=True)
class Fact:
    """One stored agency event, with its payload as corrected so far."""

    event_id: bytes
    position: int
    agency: str
    type: str
    child: bytes | None
    occurred_us: int
    payload: dict[str, Any]
    alive: bool = True

    @property
    def group(self) -> str | None:
        return group_of(self.type, self.payload)

    def at(self, field: str) -> int:
        """A payload timestamp, as UTC microseconds."""
        return instant(self.payload[field])


def group_of(event_type: str, payload: dict[str, Any]) -> str | None:
    """``episode:<ref>``, ``alert:<ref>``... or None for a fact that is no record's part."""
    if event_type in EPISODE_TYPES:
        ref = payload.get("episode_ref")
        return f"episode:{ref}" if ref else None
    if spec := _REF_GROUPS.get(event_type):
        return f"{spec[0]}:{payload[spec[1]]}"
    return None


def ordered(facts: list[Fact]) -> list[Fact]:
    """In the order things happened; the hub's order breaks ties."""
    return sorted(facts, key=lambda f: (f.occurred_us, f.position))
