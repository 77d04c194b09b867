"""Columns and record types that more than one agency's exports share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agencies._fields import Row
from agencies._format import SEX, Built, Column, Draft, Format, State, child, keyed

RISK_LEVELS = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high"}
LOCATIONS = {"HOME": "home", "PLACEMENT": "placement", "SCHOOL": "school", "OTHER": "other"}

_DOB = Column("date_of_birth", "DD/MM/YYYY or YYYY-MM-DD")
_SEX = Column("sex", "M or F (also 1 or 2 as in the SSDA903, O other, U unknown)", codes=SEX)
_NHS = Column("nhs_number", "10 digits (spaces allowed) with a valid check digit")


class ChildColumns:
    """How an agency's export names the child: the identifier it always has, and others."""

    def __init__(self, main: str, contract_id: str, meaning: str, others: tuple[str, ...]) -> None:
        self.main = main
        self.contract_id = contract_id
        self.others = others
        self.columns = (
            Column(main, meaning, required=True),
            *(_OTHER_IDS[name] for name in others),
            _DOB,
            _SEX,
        )

    def read(self, row: Row) -> dict[str, Any]:
        ids: dict[str, Any] = {}
        if self.contract_id == "nhs_number":
            ids["nhs_number"] = row.nhs_number(self.main, required=True)
        elif self.contract_id == "upn":
            ids["upn"] = row.upn(self.main, required=True)
        else:
            ids[self.contract_id] = row.text(self.main)
        if "nhs_number" in self.others:
            ids["nhs_number"] = row.nhs_number("nhs_number")
        if "upn" in self.others:
            ids["upn"] = row.upn("upn")
        return child(
            **ids,
            date_of_birth=row.date("date_of_birth", required=False),
            sex=row.code("sex", SEX, required=False),
        )


_OTHER_IDS = {"nhs_number": _NHS, "upn": Column("upn", "Unique Pupil Number, 13 characters")}

POLICE_CHILD = ChildColumns(
    "person_id", "police_person_id", "the force's person reference for the child", ("nhs_number",)
)
LA_CHILD = ChildColumns(
    "child_id",
    "la_child_id",
    "the council's child reference (as CHILD in the SSDA903)",
    ("nhs_number", "upn"),
)
HEALTH_CHILD = ChildColumns("nhs_number", "nhs_number", "the child's NHS number", ())
EDUCATION_CHILD = ChildColumns(
    "upn", "upn", "the pupil's Unique Pupil Number (13 characters)", ("nhs_number",)
)


def single(
    role: str,
    event_type: str,
    when: str,
    payload: Callable[[Row], dict[str, Any]],
    child_columns: ChildColumns | None,
) -> Callable[[Row, State | None], Built]:
    """Facts for a record that is one event: the time in column ``when``."""

    def facts(row: Row, previous: State | None) -> Built:
        at = row.when(when)
        assert at is not None
        person = child_columns.read(row) if child_columns else None
        return Built([Draft(role, event_type, at, person, payload(row))])

    return facts


def cse_concerns(agency: str, system: str, child_columns: ChildColumns) -> Format:
    """``cse.concern_raised``, which any agency may share: intelligence or a concern."""
    return Format(
        agency=agency,
        kind="cse-concerns",
        title="CSE concerns and intelligence",
        summary="One row per concern about child sexual exploitation shared with the"
        " partnership. Becomes `cse.concern_raised`.",
        system=system,
        columns=(
            Column("concern_ref", "your reference for the concern", required=True),
            *child_columns.columns,
            Column("raised_at", "when it was raised: a date, or date and time", required=True),
            Column("risk_level", "LOW, MEDIUM or HIGH", required=True, codes=RISK_LEVELS),
            Column("online_element", "Y or N: was there an online element", required=True),
        ),
        key=lambda row: keyed(row.text("concern_ref")),
        facts=single(
            "raised",
            "cse.concern_raised",
            "raised_at",
            lambda row: {
                "concern_ref": row.text("concern_ref"),
                "risk_level": row.code("risk_level", RISK_LEVELS),
                "online_element": row.flag("online_element"),
            },
            child_columns,
        ),
        example="cse-concerns.csv",
    )
