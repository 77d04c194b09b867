"""The force's missing-person incident export: one row per incident, as it stands today.

Between exports a row changes as the incident progresses: the risk is regraded, the child is
found. The row shows only the current risk, so the risk at report and each regrading seen is
kept in the adapter's ledger, and a changed risk becomes ``missing.risk_regraded`` rather than
a correction of the report.
"""

from __future__ import annotations

from typing import Any

from agencies._common import LOCATIONS, POLICE_CHILD
from agencies._fields import FieldError, Row, parse_instant
from agencies._format import Built, Column, Draft, Format, State, keyed

RISK = {
    "NO_APPARENT_RISK": "no_apparent_risk",
    "NAR": "no_apparent_risk",
    "LOW": "low",
    "MEDIUM": "medium",
    "HIGH": "high",
}
CLASSIFICATION = {"MISSING": "missing", "ABSENT": "absent"}
FOUND_BY = {
    "POLICE": "police",
    "CARER": "carer",
    "SELF_RETURNED": "self_returned",
    "OTHER": "other",
}


def _key(row: Row) -> str:
    return keyed(row.text("incident_ref"))


def _facts(row: Row, previous: State | None) -> Built:
    ref = row.text("incident_ref")
    person = POLICE_CHILD.read(row)
    reported_at = row.when("reported_at")
    last_seen_at = row.when("last_seen_at")
    assert reported_at is not None and last_seen_at is not None
    missing_from: dict[str, Any] = {"kind": row.code("missing_from", LOCATIONS)}
    if placement_ref := row.text("placement_ref", required=False):
        missing_from["placement_ref"] = placement_ref
    if district := row.postcode_district("missing_from_postcode"):
        missing_from["postcode_district"] = district
    risk = row.code("risk", RISK)
    graded_at = row.when("risk_graded_at", required=False)

    if previous is None:
        # First sight: the risk shown is the report's (if regraded already, the first grading
        # is not in the export and cannot be recovered).
        state: State = {"risk": risk, "regrades": []}
    else:
        state = {"risk": previous["risk"], "regrades": list(previous["regrades"])}
        current = state["regrades"][-1][0] if state["regrades"] else state["risk"]
        if risk != current:
            if graded_at is None:
                raise FieldError(
                    "risk_graded_at",
                    "is empty, but the risk changed since the last import: give when it was"
                    " regraded",
                )
            latest = parse_instant("-", state["regrades"][-1][1]) if state["regrades"] else None
            if graded_at < reported_at or (latest is not None and graded_at <= latest):
                raise FieldError(
                    "risk_graded_at", "is before the report or the last regrading imported"
                )
            state["regrades"].append([risk, graded_at.isoformat()])

    drafts = [
        Draft(
            "reported",
            "missing.reported",
            reported_at,
            person,
            {
                "episode_ref": ref,
                "last_seen_at": last_seen_at.isoformat(),
                "missing_from": missing_from,
                "risk": state["risk"],
                "classification": row.code("classification", CLASSIFICATION),
            },
        )
    ]
    for number, (regraded, at) in enumerate(state["regrades"], start=1):
        drafts.append(
            Draft(
                f"regraded.{number}",
                "missing.risk_regraded",
                parse_instant("risk_graded_at", at),
                person,
                {"episode_ref": ref, "risk": regraded},
            )
        )
    found_at = row.when("found_at", required=False)
    if found_at is not None:
        if found_at < last_seen_at:
            raise FieldError("found_at", "is before last_seen_at")
        location: dict[str, Any] = {"kind": row.code("found_location", LOCATIONS)}
        if district := row.postcode_district("found_postcode"):
            location["postcode_district"] = district
        drafts.append(
            Draft(
                "found",
                "missing.found",
                found_at,
                person,
                {
                    "episode_ref": ref,
                    "found_at": found_at.isoformat(),
                    "found_by": row.code("found_by", FOUND_BY),
                    "found_location": location,
                },
            )
        )
    return Built(drafts, state)


INCIDENTS = Format(
    agency="police",
    kind="missing-incidents",
    title="Missing-person incidents",
    summary="One row per missing or absent incident for a child, as it stands at the time of"
    " export. Export the same incidents again as they progress: a new row becomes"
    " `missing.reported`, a changed `risk` becomes `missing.risk_regraded`, a filled"
    " `found_at` becomes `missing.found`, and any other change a `record.corrected`.",
    system="police missing-person export",
    columns=(
        Column("incident_ref", "the incident (episode) reference other agencies quote", True),
        *POLICE_CHILD.columns,
        Column("reported_at", "when the incident was reported", required=True),
        Column("last_seen_at", "when the child was last seen", required=True),
        Column("missing_from", "where from: HOME, PLACEMENT, SCHOOL or OTHER", True, LOCATIONS),
        Column("placement_ref", "the care placement, when missing from one (e.g. the home's URN)"),
        Column("missing_from_postcode", "postcode or postcode district missing from, e.g. LE3"),
        Column("risk", "current risk: NO_APPARENT_RISK (or NAR), LOW, MEDIUM, HIGH", True, RISK),
        Column(
            "risk_graded_at",
            "when the current risk was graded; required when it changed since the last import",
        ),
        Column("classification", "MISSING or ABSENT", required=True, codes=CLASSIFICATION),
        Column("found_at", "when found or returned; empty while missing"),
        Column(
            "found_by",
            "POLICE, CARER, SELF_RETURNED or OTHER; required with found_at",
            codes=FOUND_BY,
        ),
        Column(
            "found_location",
            "HOME, PLACEMENT, SCHOOL or OTHER; required with found_at",
            codes=LOCATIONS,
        ),
        Column("found_postcode", "postcode or postcode district where found"),
    ),
    key=_key,
    facts=_facts,
    example="missing-incidents.csv",
    notes=(
        "Times without an offset are Europe/London local time; a date alone is its midnight."
        " In the October hour that happens twice, a local time is read as its first (BST)"
        " occurrence.",
        "If an incident is first exported after its risk was regraded, the report is"
        " published with the risk shown: the first grading is not in the export.",
    ),
)
