"""The council's records the SSDA903 does not hold, in CSV formats the hub documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agencies._common import LA_CHILD, RISK_LEVELS, single
from agencies._fields import FieldError, Row, parse_instant
from agencies._format import Built, Column, Draft, Format, State, child, keyed
from contracts.vocabulary import FINDINGS

SYSTEM = "children's social care case management export"
CONDUCTED_BY = {"OWN": "own_authority", "OTHER": "other_authority", "INDEPENDENT": "independent"}
OUTCOMES = {"COMPLETED": "completed", "DECLINED": "declined"}
SETTINGS = {
    "CHILDRENS_HOME": "childrens_home",
    "FOSTER_CARE": "foster_care",
    "HOME": "home",
    "SCHOOL": "school",
    "OTHER": "other",
}
CATEGORIES = {
    "CSE": "cse",
    "SEXUAL_ABUSE": "sexual_abuse",
    "CCE": "cce",
    "PHYSICAL_ABUSE": "physical_abuse",
    "NEGLECT": "neglect",
    "OTHER": "other",
}
SERVICES = {"PLACEMENT": "placement", "SEMI_INDEPENDENT": "semi_independent", "OTHER": "other"}


def _return_interview(row: Row, previous: State | None) -> Built:
    person = LA_CHILD.read(row)
    ref = row.text("episode_ref")
    drafts = []
    offered = row.when("offered_at", required=False)
    if offered is not None:
        drafts.append(
            Draft("offered", "return_interview.offered", offered, person, {"episode_ref": ref})
        )
    outcome = row.code("outcome", OUTCOMES, required=False)
    at = row.when("outcome_at", required=outcome is not None)
    if outcome is None and at is not None:
        raise FieldError("outcome", "is empty, but outcome_at is given")
    if outcome == "declined":
        assert at is not None
        drafts.append(
            Draft("outcome", "return_interview.declined", at, person, {"episode_ref": ref})
        )
    elif outcome == "completed":
        assert at is not None
        findings = {name: row.flag(name) for name in FINDINGS}
        payload = {
            "episode_ref": ref,
            "conducted_by": row.code("conducted_by", CONDUCTED_BY),
            "findings": findings,
        }
        drafts.append(Draft("outcome", "return_interview.completed", at, person, payload))
    if not drafts:
        raise FieldError("offered_at", "is empty, and there is no outcome: nothing to record")
    return Built(drafts)


RETURN_INTERVIEWS = Format(
    agency="local_authority",
    kind="return-interviews",
    title="Return interviews",
    summary="One row per missing episode the council offered (or held) a return interview"
    " for. `offered_at` becomes `return_interview.offered`; an outcome becomes"
    " `return_interview.completed` (with findings) or `return_interview.declined`.",
    system=SYSTEM,
    columns=(
        *LA_CHILD.columns,
        Column("episode_ref", "the police incident reference of the missing episode", True),
        Column("offered_at", "when the interview was offered"),
        Column("outcome", "COMPLETED or DECLINED; empty while pending", codes=OUTCOMES),
        Column("outcome_at", "when it was held or declined; required with outcome"),
        Column(
            "conducted_by",
            "OWN, OTHER (another authority) or INDEPENDENT; with COMPLETED",
            codes=CONDUCTED_BY,
        ),
        *(Column(name, "Y or N; required with COMPLETED") for name in FINDINGS),
    ),
    key=lambda row: keyed(row.text("child_id"), row.text("episode_ref")),
    facts=_return_interview,
    example="return-interviews.csv",
)


def _alert(row: Row) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "alert_ref": row.text("alert_ref"),
        "setting": row.code("setting", SETTINGS),
        "categories": row.codes("categories", CATEGORIES),
    }
    if placement := row.text("placement_ref", required=False):
        payload["placement_ref"] = placement
    return payload


ALERTS = Format(
    agency="local_authority",
    kind="alerts",
    title="Safeguarding alerts",
    summary="One row per safeguarding alert about a child. Becomes `safeguarding.alert_raised`.",
    system=SYSTEM,
    columns=(
        Column("alert_ref", "your reference for the alert", required=True),
        *LA_CHILD.columns,
        Column("raised_at", "when the alert was raised", required=True),
        Column("setting", "CHILDRENS_HOME, FOSTER_CARE, HOME, SCHOOL or OTHER", True, SETTINGS),
        Column("placement_ref", "the placement (e.g. the home's URN), when in one"),
        Column(
            "categories",
            "one or more of CSE, SEXUAL_ABUSE, CCE, PHYSICAL_ABUSE, NEGLECT, OTHER, separated by ;",
            True,
            CATEGORIES,
        ),
    ),
    key=lambda row: keyed(row.text("alert_ref")),
    facts=single("raised", "safeguarding.alert_raised", "raised_at", _alert, LA_CHILD),
    example="alerts.csv",
)

INVESTIGATIONS = Format(
    agency="local_authority",
    kind="investigations",
    title="Organised-abuse investigations",
    summary="One row per investigation of organised or complex abuse, citing the alerts it"
    " follows. Becomes `safeguarding.organised_abuse_investigation_started` (no child).",
    system=SYSTEM,
    columns=(
        Column("investigation_ref", "your reference for the investigation", required=True),
        Column("started_at", "when it started", required=True),
        Column("alert_refs", "the alert references it follows, separated by ;", required=True),
    ),
    key=lambda row: keyed(row.text("investigation_ref")),
    facts=single(
        "started",
        "safeguarding.organised_abuse_investigation_started",
        "started_at",
        lambda row: {
            "investigation_ref": row.text("investigation_ref"),
            "alert_refs": row.refs("alert_refs"),
        },
        None,
    ),
    example="investigations.csv",
)


def _cse_case(row: Row, previous: State | None) -> Built:
    ref = row.text("case_ref")
    person = LA_CHILD.read(row)
    opened = row.when("opened_at")
    assert opened is not None
    assessment = [row.code("risk_level", RISK_LEVELS), row.flag("online_element")]
    assessed_at = row.when("assessed_at", required=False)
    if previous is None:
        state: State = {"opened": assessment, "reassessments": []}
    else:
        state = {"opened": previous["opened"], "reassessments": list(previous["reassessments"])}
        current = state["reassessments"][-1][:2] if state["reassessments"] else state["opened"]
        if assessment != current:
            if assessed_at is None:
                raise FieldError(
                    "assessed_at",
                    "is empty, but the risk or online element changed since the last import:"
                    " give when the case was reassessed",
                )
            last = state["reassessments"][-1][2] if state["reassessments"] else None
            if assessed_at < opened or (
                last is not None and assessed_at <= parse_instant("-", last)
            ):
                raise FieldError(
                    "assessed_at", "is before the case opened or the last reassessment imported"
                )
            state["reassessments"].append([*assessment, assessed_at.isoformat()])
    risk, online = state["opened"]
    drafts = [
        Draft(
            "opened",
            "cse.case_opened",
            opened,
            person,
            {"case_ref": ref, "risk_level": risk, "online_element": online},
        )
    ]
    for number, (risk, online, at) in enumerate(state["reassessments"], start=1):
        drafts.append(
            Draft(
                f"reassessed.{number}",
                "cse.case_reassessed",
                parse_instant("assessed_at", at),
                person,
                {"case_ref": ref, "risk_level": risk, "online_element": online},
            )
        )
    closed = row.when("closed_at", required=False)
    if closed is not None:
        if closed < opened:
            raise FieldError("closed_at", "is before opened_at")
        drafts.append(Draft("closed", "cse.case_closed", closed, person, {"case_ref": ref}))
    return Built(drafts, state)


CSE_CASES = Format(
    agency="local_authority",
    kind="cse-cases",
    title="CSE cases",
    summary="One row per child sexual exploitation case, as it stands. A new row becomes"
    " `cse.case_opened`; a changed risk level or online element `cse.case_reassessed` (at"
    " `assessed_at`); a filled `closed_at` `cse.case_closed`.",
    system=SYSTEM,
    columns=(
        Column("case_ref", "your reference for the case", required=True),
        *LA_CHILD.columns,
        Column("opened_at", "when the case was opened", required=True),
        Column("risk_level", "current: LOW, MEDIUM or HIGH", True, RISK_LEVELS),
        Column("online_element", "current: Y or N", required=True),
        Column("assessed_at", "when the current assessment was made; required when it changed"),
        Column("closed_at", "when the case was closed; empty while open"),
    ),
    key=lambda row: keyed(row.text("case_ref")),
    facts=_cse_case,
    example="cse-cases.csv",
)


def _span(
    started: str,
    ended: str,
    start_type: str,
    end_type: str,
    payload_of: Callable[[Row], dict[str, Any]],
) -> Callable[[Row, State | None], Built]:
    """A record with a start and an optional end (the columns ``started`` and ``ended``),
    each an event with the same payload."""

    def facts(row: Row, previous: State | None) -> Built:
        person = LA_CHILD.read(row)
        payload = payload_of(row)
        start = row.when(started)
        assert start is not None
        drafts = [Draft("started", start_type, start, person, payload)]
        end = row.when(ended, required=False)
        if end is not None:
            if end < start:
                raise FieldError(ended, f"is before {started}")
            drafts.append(Draft("ended", end_type, end, person, payload))
        return Built(drafts)

    return facts


ALLOCATIONS = Format(
    agency="local_authority",
    kind="allocations",
    title="Allocations",
    summary="One row per allocation of a child to a worker (no staff names). Becomes"
    " `allocation.opened` and, when `closed_at` is filled, `allocation.closed`.",
    system=SYSTEM,
    columns=(
        Column("allocation_ref", "your reference for the allocation", required=True),
        *LA_CHILD.columns,
        Column("worker_role", "the worker's role, e.g. social worker; never a name", True),
        Column("opened_at", "when the allocation opened", required=True),
        Column("closed_at", "when it closed; empty while open"),
    ),
    key=lambda row: keyed(row.text("allocation_ref")),
    facts=_span(
        "opened_at",
        "closed_at",
        "allocation.opened",
        "allocation.closed",
        lambda row: {"worker_role": row.text("worker_role", max_length=500)},
    ),
    example="allocations.csv",
)

CP_PLANS = Format(
    agency="local_authority",
    kind="cp-plans",
    title="Child protection plans",
    summary="One row per child protection plan. Becomes `cp.plan_started` and, when"
    " `ended_at` is filled, `cp.plan_ended`.",
    system=SYSTEM,
    columns=(
        Column("plan_ref", "your reference for the plan", required=True),
        *LA_CHILD.columns,
        Column("started_at", "when the plan started", required=True),
        Column("ended_at", "when it ended; empty while in force"),
    ),
    key=lambda row: keyed(row.text("plan_ref")),
    facts=_span(
        "started_at",
        "ended_at",
        "cp.plan_started",
        "cp.plan_ended",
        lambda row: {"plan_ref": row.text("plan_ref")},
    ),
    example="cp-plans.csv",
)


def _cost(row: Row, previous: State | None) -> Built:
    start = row.date("period_start")
    end = row.date("period_end")
    assert start is not None and end is not None
    if end < start:
        raise FieldError("period_end", "is before period_start")
    payload = {
        "service": row.code("service", SERVICES),
        "amount_gbp": row.money("amount_gbp"),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
    }
    at = row.when("recorded_at", required=False)
    if at is None:
        at = row.when("period_end")
    assert at is not None
    return Built([Draft("cost", "cost.recorded", at, LA_CHILD.read(row), payload)])


COSTS = Format(
    agency="local_authority",
    kind="costs",
    title="Costs",
    summary="One row per cost of a service for a child over a period. Becomes"
    " `cost.recorded`, stamped at `recorded_at` or else at the end of the period.",
    system=SYSTEM,
    columns=(
        Column("cost_ref", "your reference for the cost line", required=True),
        *LA_CHILD.columns,
        Column("service", "PLACEMENT, SEMI_INDEPENDENT or OTHER", True, SERVICES),
        Column("amount_gbp", "pounds, e.g. 1250.00 (no pence needed; £ and , allowed)", True),
        Column("period_start", "first day the cost covers", required=True),
        Column("period_end", "last day it covers", required=True),
        Column("recorded_at", "when it was recorded; default the period's end"),
    ),
    key=lambda row: keyed(row.text("cost_ref")),
    facts=_cost,
    example="costs.csv",
)

_OTHER = (
    ("other_police_person_id", "police_person_id"),
    ("other_nhs_number", "nhs_number"),
    ("other_upn", "upn"),
    ("other_child_id", "la_child_id"),
)


def _link(row: Row, previous: State | None) -> Built:
    person = LA_CHILD.read(row)
    other: dict[str, Any] = {
        "police_person_id": row.text("other_police_person_id", required=False),
        "nhs_number": row.nhs_number("other_nhs_number"),
        "upn": row.upn("other_upn"),
        "la_child_id": row.text("other_child_id", required=False),
    }
    if not any(other.values()):
        raise FieldError(
            "other_police_person_id",
            "is empty, as are the other other_* columns: a link needs the other record's"
            " identifier",
        )
    payload = {"other": child(**other)}
    linked = row.when("linked_at")
    assert linked is not None
    drafts = [Draft("linked", "identity.linked", linked, person, payload)]
    unlinked = row.when("unlinked_at", required=False)
    if unlinked is not None:
        drafts.append(Draft("unlinked", "identity.unlinked", unlinked, person, payload))
    return Built(drafts)


IDENTITY_LINKS = Format(
    agency="local_authority",
    kind="identity-links",
    title="Identity links",
    summary="One row per decision that the council's child and another record are the same"
    " child (a police person record without an NHS number, a duplicate council record)."
    " Becomes `identity.linked`, for all history; a filled `unlinked_at` undoes it"
    " (`identity.unlinked`).",
    system=SYSTEM,
    columns=(
        Column("link_ref", "your reference for the decision", required=True),
        *LA_CHILD.columns,
        *(Column(name, f"the other record's {contract}") for name, contract in _OTHER),
        Column("linked_at", "when the link was made", required=True),
        Column("unlinked_at", "when it was found wrong and undone; empty otherwise"),
    ),
    key=lambda row: keyed(row.text("link_ref")),
    facts=_link,
    example="identity-links.csv",
    notes=("At least one other_* column is needed.",),
)
