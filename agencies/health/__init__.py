"""The health adapter: concerns raised about children in health settings, from a CSV export."""

from __future__ import annotations

from typing import Any

from agencies._common import HEALTH_CHILD, cse_concerns, single
from agencies._fields import Row
from agencies._format import Column, Format, keyed

SYSTEM = "health safeguarding concerns export"
SETTINGS = {
    "EMERGENCY_DEPARTMENT": "emergency_department",
    "ED": "emergency_department",
    "SEXUAL_HEALTH": "sexual_health",
    "GP": "gp",
    "OTHER": "other",
}
CONCERNS = {
    "CSE": "cse",
    "INJURY": "injury",
    "SUBSTANCE_MISUSE": "substance_misuse",
    "OTHER": "other",
}


def _concern(row: Row) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "setting": row.code("setting", SETTINGS),
        "concern": row.code("concern", CONCERNS),
    }
    if ref := row.text("incident_ref", required=False):
        payload["episode_ref"] = ref
    return payload


CONCERNS_FORMAT = Format(
    agency="health",
    kind="concerns",
    title="Health safeguarding concerns",
    summary="One row per safeguarding concern raised about a child in a health setting (an"
    " emergency department attendance, a sexual health clinic). Becomes"
    " `health.concern_raised`.",
    system=SYSTEM,
    columns=(
        Column("concern_ref", "your reference for the concern", required=True),
        *HEALTH_CHILD.columns,
        Column("raised_at", "when it was raised", required=True),
        Column(
            "setting", "EMERGENCY_DEPARTMENT (or ED), SEXUAL_HEALTH, GP or OTHER", True, SETTINGS
        ),
        Column("concern", "CSE, INJURY, SUBSTANCE_MISUSE or OTHER", True, CONCERNS),
        Column("incident_ref", "the police missing incident it relates to, if known"),
    ),
    key=lambda row: keyed(row.text("concern_ref")),
    facts=single("raised", "health.concern_raised", "raised_at", _concern, HEALTH_CHILD),
    example="concerns.csv",
)

FORMATS = (CONCERNS_FORMAT, cse_concerns("health", SYSTEM, HEALTH_CHILD))
