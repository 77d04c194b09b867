"""Local authority (children's social care) event types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from contracts._checks import Money, PostcodeDistrict, Ref, Text
from contracts._envelope import Envelope, Frozen

LA: tuple[str, ...] = ("local_authority",)
RiskLevel = Literal["low", "medium", "high"]
AlertCategory = Literal["cse", "sexual_abuse", "cce", "physical_abuse", "neglect", "other"]


class CarePeriodStartedPayload(Frozen):
    legal_status: Text
    uasc: bool


class CarePeriodEndedPayload(Frozen):
    reason: Text


class PlacementStartedPayload(Frozen):
    placement_ref: Ref
    placement_type: Literal["childrens_home", "foster_care", "semi_independent", "other"]
    provider: Text | None = None
    postcode_district: PostcodeDistrict | None = None


class PlacementEndedPayload(Frozen):
    placement_ref: Ref


class UascStatusChangedPayload(Frozen):
    uasc: bool


class AllocationPayload(Frozen):
    worker_role: Text


class EpisodePayload(Frozen):
    episode_ref: Ref


class Findings(Frozen):
    # One field per vocabulary.FINDINGS, in its order (tests/unit/test_vocabulary.py).
    harmed_physically: bool
    sexually_assaulted_or_exploited: bool
    drugs_sale: bool
    criminal_activity: bool


class ReturnInterviewCompletedPayload(Frozen):
    episode_ref: Ref
    conducted_by: Literal["own_authority", "other_authority", "independent"]
    findings: Findings


class AlertRaisedPayload(Frozen):
    alert_ref: Ref
    setting: Literal["childrens_home", "foster_care", "home", "school", "other"]
    placement_ref: Ref | None = None
    categories: Annotated[frozenset[AlertCategory], Field(min_length=1)]


class InvestigationStartedPayload(Frozen):
    investigation_ref: Ref
    alert_refs: Annotated[tuple[Ref, ...], Field(min_length=1)]


class CseCasePayload(Frozen):
    case_ref: Ref
    risk_level: RiskLevel
    online_element: bool


class CseCaseClosedPayload(Frozen):
    case_ref: Ref


class PlanPayload(Frozen):
    plan_ref: Ref


class CostRecordedPayload(Frozen):
    service: Literal["placement", "semi_independent", "other"]
    amount_gbp: Money
    period_start: dt.date
    period_end: dt.date

    @model_validator(mode="after")
    def _period_in_order(self) -> CostRecordedPayload:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class MissingRecordedPayload(Frozen):
    """Added in v1.1: the council's own record of a looked-after child's episode away from
    placement (SSDA903 Missing table). ``away`` is the 903's code A, which the seeds call
    "absent"; ``missing`` is code M."""

    episode_ref: Ref
    kind: Literal["missing", "away"]
    started_on: dt.date
    ended_on: dt.date | None = None
    police_episode_ref: Ref | None = None

    @model_validator(mode="after")
    def _episode_in_order(self) -> MissingRecordedPayload:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class _LaEvent(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = LA


class CarePeriodStarted(_LaEvent):
    event_type: Literal["care.period_started"]
    payload: CarePeriodStartedPayload


class CarePeriodEnded(_LaEvent):
    event_type: Literal["care.period_ended"]
    payload: CarePeriodEndedPayload


class PlacementStarted(_LaEvent):
    event_type: Literal["care.placement_started"]
    payload: PlacementStartedPayload


class PlacementEnded(_LaEvent):
    event_type: Literal["care.placement_ended"]
    payload: PlacementEndedPayload


class UascStatusChanged(_LaEvent):
    event_type: Literal["care.uasc_status_changed"]
    payload: UascStatusChangedPayload


class AllocationOpened(_LaEvent):
    event_type: Literal["allocation.opened"]
    payload: AllocationPayload


class AllocationClosed(_LaEvent):
    event_type: Literal["allocation.closed"]
    payload: AllocationPayload


class ReturnInterviewOffered(_LaEvent):
    event_type: Literal["return_interview.offered"]
    payload: EpisodePayload


class ReturnInterviewCompleted(_LaEvent):
    event_type: Literal["return_interview.completed"]
    payload: ReturnInterviewCompletedPayload


class ReturnInterviewDeclined(_LaEvent):
    event_type: Literal["return_interview.declined"]
    payload: EpisodePayload


class AlertRaised(_LaEvent):
    event_type: Literal["safeguarding.alert_raised"]
    payload: AlertRaisedPayload


class OrganisedAbuseInvestigationStarted(_LaEvent):
    has_child: ClassVar[bool] = False
    event_type: Literal["safeguarding.organised_abuse_investigation_started"]
    payload: InvestigationStartedPayload


class CseCaseOpened(_LaEvent):
    event_type: Literal["cse.case_opened"]
    payload: CseCasePayload


class CseCaseReassessed(_LaEvent):
    event_type: Literal["cse.case_reassessed"]
    payload: CseCasePayload


class CseCaseClosed(_LaEvent):
    event_type: Literal["cse.case_closed"]
    payload: CseCaseClosedPayload


class CpPlanStarted(_LaEvent):
    event_type: Literal["cp.plan_started"]
    payload: PlanPayload


class CpPlanEnded(_LaEvent):
    event_type: Literal["cp.plan_ended"]
    payload: PlanPayload


class CostRecorded(_LaEvent):
    event_type: Literal["cost.recorded"]
    payload: CostRecordedPayload


class MissingRecorded(_LaEvent):
    """Added in v1.1: a looked-after child's episode missing or away from placement, as the
    council records it."""

    event_type: Literal["care.missing_recorded"]
    payload: MissingRecordedPayload


EVENTS = (
    CarePeriodStarted,
    CarePeriodEnded,
    PlacementStarted,
    PlacementEnded,
    UascStatusChanged,
    AllocationOpened,
    AllocationClosed,
    ReturnInterviewOffered,
    ReturnInterviewCompleted,
    ReturnInterviewDeclined,
    AlertRaised,
    OrganisedAbuseInvestigationStarted,
    CseCaseOpened,
    CseCaseReassessed,
    CseCaseClosed,
    CpPlanStarted,
    CpPlanEnded,
    CostRecorded,
    MissingRecorded,
)
