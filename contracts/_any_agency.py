"""Types any agency may publish: CSE concerns, identity links, corrections and retractions."""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID

from contracts._checks import Ref, Text
from contracts._envelope import Child, Envelope, Frozen
from contracts._local_authority import RiskLevel


class CseConcernPayload(Frozen):
    concern_ref: Ref
    risk_level: RiskLevel
    online_element: bool


class IdentityPayload(Frozen):
    other: Child


class CorrectionPayload(Frozen):
    target_event_id: UUID
    # Checked against the target's own payload type when the hub knows the target.
    replacement: dict[str, Any]


class RetractionPayload(Frozen):
    target_event_id: UUID
    reason: Text


class CseConcernRaised(Envelope):
    event_type: Literal["cse.concern_raised"]
    payload: CseConcernPayload


class IdentityLinked(Envelope):
    event_type: Literal["identity.linked"]
    payload: IdentityPayload


class IdentityUnlinked(Envelope):
    event_type: Literal["identity.unlinked"]
    payload: IdentityPayload


class RecordCorrected(Envelope):
    has_child: ClassVar[bool] = False
    event_type: Literal["record.corrected"]
    payload: CorrectionPayload


class RecordRetracted(Envelope):
    has_child: ClassVar[bool] = False
    event_type: Literal["record.retracted"]
    payload: RetractionPayload


EVENTS = (CseConcernRaised, IdentityLinked, IdentityUnlinked, RecordCorrected, RecordRetracted)
