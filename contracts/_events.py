"""The discriminated union of every v1 event type, and the parser that applies it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from contracts import _any_agency, _health_education, _local_authority, _police
from contracts._envelope import Envelope
from contracts._errors import ContractViolation

_CLASSES: tuple[type[Envelope], ...] = (
    *_police.EVENTS,
    *_local_authority.EVENTS,
    *_health_education.EVENTS,
    *_any_agency.EVENTS,
)

EVENT_TYPES: dict[str, type[Envelope]] = {
    cls.model_fields["event_type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in _CLASSES
}

Event = Annotated[
    _police.MissingReported
    | _police.MissingRiskRegraded
    | _police.MissingFound
    | _police.SafeAndWellCheck
    | _police.DisruptionRecorded
    | _police.CrimeLinked
    | _local_authority.CarePeriodStarted
    | _local_authority.CarePeriodEnded
    | _local_authority.PlacementStarted
    | _local_authority.PlacementEnded
    | _local_authority.UascStatusChanged
    | _local_authority.AllocationOpened
    | _local_authority.AllocationClosed
    | _local_authority.ReturnInterviewOffered
    | _local_authority.ReturnInterviewCompleted
    | _local_authority.ReturnInterviewDeclined
    | _local_authority.AlertRaised
    | _local_authority.OrganisedAbuseInvestigationStarted
    | _local_authority.CseCaseOpened
    | _local_authority.CseCaseReassessed
    | _local_authority.CseCaseClosed
    | _local_authority.CpPlanStarted
    | _local_authority.CpPlanEnded
    | _local_authority.CostRecorded
    | _local_authority.MissingRecorded
    | _health_education.HealthConcernRaised
    | _health_education.MissingEducationReported
    | _health_education.EducationConcernRaised
    | _any_agency.CseConcernRaised
    | _any_agency.IdentityLinked
    | _any_agency.IdentityUnlinked
    | _any_agency.RecordCorrected
    | _any_agency.RecordRetracted,
    Field(discriminator="event_type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: bytes | str, *, now: dt.datetime | None = None) -> Envelope:
    """Validate one JSON event body against the v1 contract.

    Raises ContractViolation with a reason a person can act on (never the rejected values).
    """
    try:
        event: Envelope = EVENT_ADAPTER.validate_json(data, context={"now": now} if now else None)
    except ValidationError as error:
        raise ContractViolation(describe(error)) from None
    return event


def parse_payload(event_type: str, payload: Any) -> BaseModel:
    """Validate a payload as the given type's payload, e.g. a correction's replacement."""
    model = EVENT_TYPES[event_type].model_fields["payload"].annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    try:
        # As JSON and strict, exactly as the original event's payload was checked.
        return model.model_validate_json(orjson.dumps(payload), strict=True)
    except ValidationError as error:
        raise ContractViolation(describe(error, prefix=("payload", "replacement"))) from None


def describe(error: ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """A short, value-free reason from pydantic's errors: ``field.path: what is wrong``."""
    reasons = []
    for item in error.errors(include_input=False, include_url=False, include_context=True):
        kind = item["type"]
        if kind == "json_invalid":
            reasons.append("body is not valid JSON")
            continue
        if kind in ("model_type", "model_attributes_type", "dict_type") and not item["loc"]:
            reasons.append("body must be one JSON object")
            continue
        if kind == "union_tag_invalid":
            # The rejected value is not repeated: it is whatever the publisher put there.
            reasons.append("event_type: not a v1 event type (see the contract's list)")
            continue
        if kind == "union_tag_not_found":
            reasons.append("event_type: field required")
            continue
        loc = [str(part) for part in item["loc"]]
        if loc and loc[0] in EVENT_TYPES:
            loc = loc[1:]
        if kind == "extra_forbidden":
            # The unexpected key's name is the publisher's text: name only where it was.
            path = ".".join([*prefix, *loc[:-1]]) or "body"
            reasons.append(f"{path}: has a field the contract does not define")
            continue
        path = ".".join([*prefix, *loc])
        message = item["msg"].removeprefix("Value error, ")
        reasons.append(f"{path}: {message}" if path else message)
    return "; ".join(dict.fromkeys(reasons)) or "body does not match the contract"
