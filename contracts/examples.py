"""Valid example events of every type, for agencies' developers, tests and benchmarks.

Identifiers are synthetic: NHS numbers from the 999 range that NHS England reserves for
testing, UPNs with valid check letters built from a counter. They name no real child.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from contracts._checks import upn_check_letter

_AT = "2018-03-10T14:00:00+00:00"


def nhs_number(n: int) -> str:
    """The ``n``-th valid synthetic NHS number (999 prefix, Modulus 11 check digit)."""
    n = n % 1_000_000
    while True:
        body = f"999{n:06d}"
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return body + str(check)
        n = (n + 1) % 1_000_000


def upn(n: int) -> str:
    """The ``n``-th valid synthetic UPN (local authority 999)."""
    body = f"999{n % 10**9:09d}"
    return upn_check_letter(body) + body


def _payloads() -> dict[str, dict[str, Any]]:
    episode = {"episode_ref": "EP-1"}
    case = {"case_ref": "CSE-1", "risk_level": "medium", "online_element": False}
    return {
        "missing.reported": {
            **episode,
            "last_seen_at": "2018-03-10T13:00:00+00:00",
            "missing_from": {
                "kind": "placement",
                "placement_ref": "PL-1",
                "postcode_district": "LE1",
            },
            "risk": "medium",
            "classification": "missing",
        },
        "missing.risk_regraded": {**episode, "risk": "high"},
        "missing.found": {
            **episode,
            "found_at": "2018-03-11T09:00:00+00:00",
            "found_by": "police",
            "found_location": {"kind": "other", "postcode_district": "LE2"},
        },
        "police.safe_and_well_check": {**episode, "concerns_identified": False},
        "police.disruption_recorded": {"tactic": "child_abduction_warning_notice"},
        "police.crime_linked": {**episode, "role": "victim", "offence_group": "sexual offences"},
        "care.period_started": {"legal_status": "C2", "uasc": False},
        "care.period_ended": {"reason": "E11"},
        "care.placement_started": {
            "placement_ref": "PL-1",
            "placement_type": "childrens_home",
            "provider": "PR1",
            "postcode_district": "LE1",
        },
        "care.placement_ended": {"placement_ref": "PL-1"},
        "care.uasc_status_changed": {"uasc": True},
        "allocation.opened": {"worker_role": "social worker"},
        "allocation.closed": {"worker_role": "social worker"},
        "return_interview.offered": episode,
        "return_interview.completed": {
            **episode,
            "conducted_by": "independent",
            "findings": {
                "harmed_physically": False,
                "sexually_assaulted_or_exploited": True,
                "drugs_sale": False,
                "criminal_activity": False,
            },
        },
        "return_interview.declined": episode,
        "safeguarding.alert_raised": {
            "alert_ref": "AL-1",
            "setting": "childrens_home",
            "placement_ref": "PL-1",
            "categories": ["cse"],
        },
        "safeguarding.organised_abuse_investigation_started": {
            "investigation_ref": "INV-1",
            "alert_refs": ["AL-1"],
        },
        "cse.case_opened": case,
        "cse.case_reassessed": {**case, "online_element": True},
        "cse.case_closed": {"case_ref": "CSE-1"},
        "cp.plan_started": {"plan_ref": "CP-1"},
        "cp.plan_ended": {"plan_ref": "CP-1"},
        "cost.recorded": {
            "service": "placement",
            "amount_gbp": "3500.00",
            "period_start": "2018-03-01",
            "period_end": "2018-03-31",
        },
        "care.missing_recorded": {
            "episode_ref": "LA-MIS-1",
            "kind": "missing",
            "started_on": "2018-03-10",
            "ended_on": "2018-03-11",
            "police_episode_ref": "EP-1",
        },
        "health.concern_raised": {"setting": "emergency_department", "concern": "injury"},
        "education.missing_education_reported": {"school_urn": "120001"},
        "education.concern_raised": {"concern": "missing"},
        "cse.concern_raised": {
            "concern_ref": "CON-1",
            "risk_level": "high",
            "online_element": True,
        },
        "identity.linked": {"other": {"ids": {"police_person_id": "P-1"}}},
        "identity.unlinked": {"other": {"ids": {"police_person_id": "P-1"}}},
        "record.corrected": {"target_event_id": str(uuid.UUID(int=1)), "replacement": {}},
        "record.retracted": {"target_event_id": str(uuid.UUID(int=1)), "reason": "entered twice"},
    }


_OWNER = {
    "missing": "police",
    "police": "police",
    "health": "health",
    "education": "education",
    "cse.concern_raised": "police",
    "identity": "local_authority",
    "record": "police",
}


def default_agency(event_type: str) -> str:
    """The agency that publishes a type (for any-agency types, a usual one)."""
    return _OWNER.get(event_type) or _OWNER.get(event_type.split(".")[0]) or "local_authority"


def example_event(
    event_type: str,
    *,
    agency: str | None = None,
    event_id: str | uuid.UUID | None = None,
    occurred_at: str | dt.datetime = _AT,
    child: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    **payload_changes: Any,
) -> dict[str, Any]:
    """A valid event of ``event_type`` as a JSON-ready dict; override any part of it."""
    body: dict[str, Any] = {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "source": {"agency": agency or default_agency(event_type), "system": "example"},
        "occurred_at": occurred_at.isoformat()
        if isinstance(occurred_at, dt.datetime)
        else occurred_at,
        "payload": {
            **(payload if payload is not None else _payloads()[event_type]),
            **payload_changes,
        },
    }
    if not (
        event_type.startswith("record.")
        or event_type == "safeguarding.organised_abuse_investigation_started"
    ):
        body["child"] = child or {
            "ids": {"nhs_number": nhs_number(1), "la_child_id": "LA-1"},
            "date_of_birth": "2003-05-01",
            "sex": "female",
        }
    return body


EVENT_TYPE_NAMES: tuple[str, ...] = tuple(_payloads())
