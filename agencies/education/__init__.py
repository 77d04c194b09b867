"""The education adapter: children missing education and schools' concerns, from CSV exports."""

from __future__ import annotations

from typing import Any

from agencies._common import EDUCATION_CHILD, cse_concerns, single
from agencies._fields import Row
from agencies._format import Column, Format, keyed

SYSTEM = "education welfare export"
CONCERNS = {"CSE": "cse", "CCE": "cce", "MISSING": "missing", "OTHER": "other"}


def _missing(row: Row) -> dict[str, Any]:
    urn = row.text("school_urn", required=False)
    return {"school_urn": urn} if urn else {}


MISSING_EDUCATION = Format(
    agency="education",
    kind="missing-education",
    title="Children missing education",
    summary="One row per report of a child missing education. Becomes"
    " `education.missing_education_reported`.",
    system=SYSTEM,
    columns=(
        Column("record_ref", "your reference for the report", required=True),
        *EDUCATION_CHILD.columns,
        Column("reported_at", "when the child was reported missing education", required=True),
        Column("school_urn", "the school's URN, if on roll"),
    ),
    key=lambda row: keyed(row.text("record_ref")),
    facts=single(
        "reported", "education.missing_education_reported", "reported_at", _missing, EDUCATION_CHILD
    ),
    example="missing-education.csv",
)

CONCERNS_FORMAT = Format(
    agency="education",
    kind="concerns",
    title="School safeguarding concerns",
    summary="One row per safeguarding concern a school raised about a pupil. Becomes"
    " `education.concern_raised`.",
    system=SYSTEM,
    columns=(
        Column("concern_ref", "your reference for the concern", required=True),
        *EDUCATION_CHILD.columns,
        Column("raised_at", "when it was raised", required=True),
        Column("concern", "CSE, CCE, MISSING or OTHER", required=True, codes=CONCERNS),
    ),
    key=lambda row: keyed(row.text("concern_ref")),
    facts=single(
        "raised",
        "education.concern_raised",
        "raised_at",
        lambda row: {"concern": row.code("concern", CONCERNS)},
        EDUCATION_CHILD,
    ),
    example="concerns.csv",
)

FORMATS = (MISSING_EDUCATION, CONCERNS_FORMAT, cse_concerns("education", SYSTEM, EDUCATION_CHILD))
