"""Police event types: missing episodes and the police response to them."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime

from contracts._checks import PostcodeDistrict, Ref, Text
from contracts._envelope import Envelope, Frozen
from contracts.vocabulary import RiskGrade

LocationKind = Literal["home", "placement", "school", "other"]
POLICE: tuple[str, ...] = ("police",)


class MissingFrom(Frozen):
    kind: LocationKind
    placement_ref: Ref | None = None
    postcode_district: PostcodeDistrict | None = None


class FoundLocation(Frozen):
    kind: LocationKind
    postcode_district: PostcodeDistrict | None = None


class MissingReportedPayload(Frozen):
    episode_ref: Ref
    last_seen_at: AwareDatetime
    missing_from: MissingFrom
    risk: RiskGrade
    classification: Literal["missing", "absent"]


class RiskRegradedPayload(Frozen):
    episode_ref: Ref
    risk: RiskGrade


class FoundPayload(Frozen):
    episode_ref: Ref
    found_at: AwareDatetime
    found_by: Literal["police", "carer", "self_returned", "other"]
    found_location: FoundLocation


class SafeAndWellCheckPayload(Frozen):
    episode_ref: Ref
    concerns_identified: bool


class DisruptionRecordedPayload(Frozen):
    tactic: Literal["child_abduction_warning_notice", "arrest", "other"]
    episode_ref: Ref | None = None


class CrimeLinkedPayload(Frozen):
    episode_ref: Ref
    role: Literal["victim", "suspect"]
    offence_group: Text


class MissingReported(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = POLICE
    event_type: Literal["missing.reported"]
    payload: MissingReportedPayload


class MissingRiskRegraded(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = POLICE
    event_type: Literal["missing.risk_regraded"]
    payload: RiskRegradedPayload


class MissingFound(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = POLICE
    event_type: Literal["missing.found"]
    payload: FoundPayload


class SafeAndWellCheck(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = POLICE
    event_type: Literal["police.safe_and_well_check"]
    payload: SafeAndWellCheckPayload


class DisruptionRecorded(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = POLICE
    event_type: Literal["police.disruption_recorded"]
    payload: DisruptionRecordedPayload


class CrimeLinked(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = POLICE
    event_type: Literal["police.crime_linked"]
    payload: CrimeLinkedPayload


EVENTS = (
    MissingReported,
    MissingRiskRegraded,
    MissingFound,
    SafeAndWellCheck,
    DisruptionRecorded,
    CrimeLinked,
)
