"""The vocabulary is defined once (contracts.vocabulary, and the contract's event types), and
everything that uses it agrees: the contract's models, the agency formats, the projections."""

from __future__ import annotations

import datetime as dt
import io
import re
import tokenize
from pathlib import Path
from typing import Any, get_args

import pytest

import contracts
from agencies import _common
from agencies.education import CONCERNS as EDUCATION_CONCERNS
from agencies.health import CONCERNS as HEALTH_CONCERNS
from agencies.health import SETTINGS as HEALTH_SETTINGS
from agencies.local_authority import _records
from agencies.police import _incidents, _responses
from contracts import _health_education, _local_authority, _police, notifications
from contracts.vocabulary import FINDINGS, RETURN_INTERVIEW_WINDOW, RISK_GRADES
from projections import STATISTICS, _schema
from projections._derive import EpisodeRow

ROOT = Path(__file__).resolve().parents[2]


def literal(model: Any, field: str) -> tuple[Any, ...]:
    return get_args(model.model_fields[field].annotation)


def test_the_contract_grades_risk_with_the_vocabulary_in_order() -> None:
    assert RISK_GRADES == ("no_apparent_risk", "low", "medium", "high")  # lowest first
    assert literal(_police.MissingReportedPayload, "risk") == RISK_GRADES
    assert literal(_police.RiskRegradedPayload, "risk") == RISK_GRADES


def test_the_contract_findings_are_the_vocabulary_findings() -> None:
    findings = _local_authority.Findings.model_fields
    assert tuple(findings) == FINDINGS
    assert all(field.annotation is bool for field in findings.values())
    completed = _local_authority.ReturnInterviewCompletedPayload.model_fields["findings"]
    assert completed.annotation is _local_authority.Findings


def test_each_finding_is_kept_counted_and_read_from_the_export() -> None:
    assert set(FINDINGS) <= set(EpisodeRow._fields)
    columns = [column.split()[0] for column in _schema._VERSIONED["episode"].split(",")]
    assert columns == list(EpisodeRow._fields)
    assert STATISTICS["return-interview-findings"].figures[-len(FINDINGS) :] == FINDINGS
    exported = {column.name for column in _records.RETURN_INTERVIEWS.columns}
    assert set(FINDINGS) <= exported


def test_the_published_72_hours_are_the_return_interview_window() -> None:
    assert dt.timedelta(hours=72) == RETURN_INTERVIEW_WINDOW
    assert "completed_within_72h" in STATISTICS["return-interview-findings"].figures


@pytest.mark.parametrize(
    ("codes", "values"),
    [
        (_incidents.RISK, RISK_GRADES),
        (_incidents.CLASSIFICATION, literal(_police.MissingReportedPayload, "classification")),
        (_incidents.FOUND_BY, literal(_police.FoundPayload, "found_by")),
        (_common.LOCATIONS, get_args(_police.LocationKind)),
        (_common.RISK_LEVELS, get_args(_local_authority.RiskLevel)),
        (_responses.TACTICS, literal(_police.DisruptionRecordedPayload, "tactic")),
        (_responses.ROLES, literal(_police.CrimeLinkedPayload, "role")),
        (
            _records.CONDUCTED_BY,
            literal(_local_authority.ReturnInterviewCompletedPayload, "conducted_by"),
        ),
        (_records.SETTINGS, literal(_local_authority.AlertRaisedPayload, "setting")),
        (_records.CATEGORIES, get_args(_local_authority.AlertCategory)),
        (_records.SERVICES, literal(_local_authority.CostRecordedPayload, "service")),
        (HEALTH_SETTINGS, literal(_health_education.HealthConcernPayload, "setting")),
        (HEALTH_CONCERNS, literal(_health_education.HealthConcernPayload, "concern")),
        (EDUCATION_CONCERNS, literal(_health_education.EducationConcernPayload, "concern")),
    ],
)
def test_an_agency_format_codes_exactly_the_contract_values(
    codes: dict[str, str], values: tuple[str, ...]
) -> None:
    assert set(codes.values()) == set(values)


# A name in a string that reads as an event type: a type family the contract has, a dot, a
# name; not part of a module path, a file name or a call.
_FAMILIES = sorted({name.split(".")[0] for name in contracts.EVENT_TYPES})
_NAMED_TYPE = re.compile(rf"(?<![\w./-])(?:{'|'.join(_FAMILIES)})\.[a-z][a-z_]*\b(?![.(])")


def named_event_types(package: str) -> dict[str, list[str]]:
    """Each event type name in the package's string literals (docstrings, SQL, messages),
    and where: ``path:line``."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                for name in _NAMED_TYPE.findall(token.string):
                    where = f"{path.relative_to(ROOT)}:{token.start[0]}"
                    found.setdefault(name, []).append(where)
    return found


@pytest.mark.parametrize("package", ["projections", "agencies", "hub", "contracts"])
def test_every_event_type_named_is_one_the_contract_defines(package: str) -> None:
    found = named_event_types(package)
    # The notification kinds (contracts.notifications) read as event types and are names too.
    known = set(contracts.EVENT_TYPES) | set(notifications.KINDS)
    unknown = {name: where for name, where in found.items() if name not in known}
    assert unknown == {}


def test_the_scan_sees_names_inside_sql_and_docstrings() -> None:
    found = named_event_types("projections")
    assert len(found) > 20
    assert any(where.startswith("projections/_forum.py") for where in found["missing.found"])
    assert any(where.startswith("projections/_store.py") for where in found["missing.reported"])
    assert "identity.linked" in found  # the identity module's docstring
    assert not _NAMED_TYPE.search("agencies.police._incidents, record.payload(x), care-cost.csv")
