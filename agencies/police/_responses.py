"""The police response recorded against children: safe-and-well checks, disruption, crimes."""

from __future__ import annotations

from typing import Any

from agencies._common import POLICE_CHILD, single
from agencies._fields import Row
from agencies._format import Column, Format, keyed

SYSTEM = "police records export"
TACTICS = {
    "CAWN": "child_abduction_warning_notice",
    "CHILD_ABDUCTION_WARNING_NOTICE": "child_abduction_warning_notice",
    "ARREST": "arrest",
    "OTHER": "other",
}
ROLES = {"VICTIM": "victim", "SUSPECT": "suspect"}

SAFE_AND_WELL = Format(
    agency="police",
    kind="safe-and-well-checks",
    title="Safe-and-well checks",
    summary="One row per check made when a missing child is found. Becomes"
    " `police.safe_and_well_check`.",
    system=SYSTEM,
    columns=(
        Column("check_ref", "your reference for the check", required=True),
        Column("incident_ref", "the missing incident it followed", required=True),
        *POLICE_CHILD.columns,
        Column("checked_at", "when the check was made", required=True),
        Column("concerns_identified", "Y or N", required=True),
    ),
    key=lambda row: keyed(row.text("check_ref")),
    facts=single(
        "check",
        "police.safe_and_well_check",
        "checked_at",
        lambda row: {
            "episode_ref": row.text("incident_ref"),
            "concerns_identified": row.flag("concerns_identified"),
        },
        POLICE_CHILD,
    ),
    example="safe-and-well-checks.csv",
)


def _disruption(row: Row) -> dict[str, Any]:
    payload: dict[str, Any] = {"tactic": row.code("tactic", TACTICS)}
    if ref := row.text("incident_ref", required=False):
        payload["episode_ref"] = ref
    return payload


DISRUPTIONS = Format(
    agency="police",
    kind="disruptions",
    title="Disruption tactics",
    summary="One row per disruption tactic used to protect a child (a child abduction warning"
    " notice, an arrest). Becomes `police.disruption_recorded`.",
    system=SYSTEM,
    columns=(
        Column("disruption_ref", "your reference for the tactic", required=True),
        *POLICE_CHILD.columns,
        Column("recorded_at", "when it was used", required=True),
        Column("tactic", "CAWN (child abduction warning notice), ARREST or OTHER", True, TACTICS),
        Column("incident_ref", "the missing incident it relates to, if any"),
    ),
    key=lambda row: keyed(row.text("disruption_ref")),
    facts=single(
        "recorded", "police.disruption_recorded", "recorded_at", _disruption, POLICE_CHILD
    ),
    example="disruptions.csv",
)

LINKED_CRIMES = Format(
    agency="police",
    kind="linked-crimes",
    title="Crimes linked to missing incidents",
    summary="One row per crime linked to a child's missing incident, with the child's role."
    " Becomes `police.crime_linked`.",
    system=SYSTEM,
    columns=(
        Column("crime_ref", "the crime reference", required=True),
        Column("incident_ref", "the missing incident it is linked to", required=True),
        *POLICE_CHILD.columns,
        Column("linked_at", "when the link was recorded", required=True),
        Column("role", "the child's role: VICTIM or SUSPECT", required=True, codes=ROLES),
        Column("offence_group", "the Home Office offence group, e.g. Sexual offences", True),
    ),
    key=lambda row: keyed(row.text("crime_ref"), row.text("incident_ref"), row.text("person_id")),
    facts=single(
        "linked",
        "police.crime_linked",
        "linked_at",
        lambda row: {
            "episode_ref": row.text("incident_ref"),
            "role": row.code("role", ROLES),
            "offence_group": row.text("offence_group", max_length=500),
        },
        POLICE_CHILD,
    ),
    example="linked-crimes.csv",
)
