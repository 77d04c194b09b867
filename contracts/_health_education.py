"""Health and education event types: concerns, and children missing education."""

from __future__ import annotations

from typing import ClassVar, Literal

from contracts._checks import Ref
from contracts._envelope import Envelope, Frozen


class HealthConcernPayload(Frozen):
    setting: Literal["emergency_department", "sexual_health", "gp", "other"]
    concern: Literal["cse", "injury", "substance_misuse", "other"]
    episode_ref: Ref | None = None


class MissingEducationPayload(Frozen):
    school_urn: Ref | None = None


class EducationConcernPayload(Frozen):
    concern: Literal["cse", "cce", "missing", "other"]


class HealthConcernRaised(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = ("health",)
    event_type: Literal["health.concern_raised"]
    payload: HealthConcernPayload


class MissingEducationReported(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = ("education",)
    event_type: Literal["education.missing_education_reported"]
    payload: MissingEducationPayload


class EducationConcernRaised(Envelope):
    publishers: ClassVar[tuple[str, ...] | None] = ("education",)
    event_type: Literal["education.concern_raised"]
    payload: EducationConcernPayload


EVENTS = (HealthConcernRaised, MissingEducationReported, EducationConcernRaised)
