"""The agency event contract, version 1, as code (see docs/contract.md and shared spec).

Public face::

    parse_event(bytes) -> Envelope      validate one message body; raises ContractViolation
    parse_payload(type, dict)           validate a payload, e.g. a correction's replacement
    EVENT_TYPES                         event_type -> model class
    subject_for / parse_subject         the NATS subjects
    json_schema()                       JSON Schema of an event body
"""

from __future__ import annotations

from contracts._checks import nhs_number_is_valid, upn_check_letter, upn_is_valid
from contracts._envelope import AGENCIES, Child, ChildIds, Envelope, Source
from contracts._errors import ContractViolation, HubError
from contracts._events import EVENT_TYPES, Event, parse_event, parse_payload
from contracts.schema import json_schema
from contracts.subjects import (
    ALL,
    Subject,
    is_rejection,
    parse_subject,
    rejected_subject,
    subject_for,
)
from contracts.vocabulary import FINDINGS, RETURN_INTERVIEW_WINDOW, RISK_GRADES, RiskGrade

__all__ = [
    "AGENCIES",
    "ALL",
    "EVENT_TYPES",
    "FINDINGS",
    "RETURN_INTERVIEW_WINDOW",
    "RISK_GRADES",
    "Child",
    "ChildIds",
    "ContractViolation",
    "Envelope",
    "Event",
    "HubError",
    "RiskGrade",
    "Source",
    "Subject",
    "is_rejection",
    "json_schema",
    "nhs_number_is_valid",
    "parse_event",
    "parse_payload",
    "parse_subject",
    "rejected_subject",
    "subject_for",
    "upn_check_letter",
    "upn_is_valid",
]
