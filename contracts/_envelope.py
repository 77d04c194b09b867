"""The envelope every agency event shares: id, type, version, source, time and the child."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    model_validator,
)

from contracts._checks import NhsNumber, Ref, Text, Upn

Agency = Literal["police", "local_authority", "health", "education"]
AGENCIES: tuple[str, ...] = ("police", "local_authority", "health", "education")
FUTURE_TOLERANCE = dt.timedelta(hours=24)


class Frozen(BaseModel):
    """Base of every contract model: immutable, strict, and closed to unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Source(Frozen):
    agency: Agency
    system: Text


class ChildIds(Frozen):
    nhs_number: NhsNumber | None = None
    la_child_id: Ref | None = None
    police_person_id: Ref | None = None
    upn: Upn | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> ChildIds:
        if (
            self.nhs_number is None
            and self.la_child_id is None
            and self.police_person_id is None
            and self.upn is None
        ):
            raise ValueError(
                "child.ids needs at least one of nhs_number, la_child_id, police_person_id, upn"
            )
        return self

    def keys(self) -> list[str]:
        """Identifier keys such as ``nhs_number:9434765919``, in a fixed order."""
        keys = []
        if self.nhs_number is not None:
            keys.append(f"nhs_number:{self.nhs_number}")
        if self.la_child_id is not None:
            keys.append(f"la_child_id:{self.la_child_id}")
        if self.police_person_id is not None:
            keys.append(f"police_person_id:{self.police_person_id}")
        if self.upn is not None:
            keys.append(f"upn:{self.upn}")
        return keys


class Child(Frozen):
    ids: ChildIds
    given_name: Text | None = None
    family_name: Text | None = None
    date_of_birth: dt.date | None = None
    sex: Literal["male", "female", "other", "unknown"] | None = None


class Envelope(Frozen):
    """Fields every event carries. Subclasses fix ``event_type`` and ``payload``."""

    # Which agencies may publish this type (None: any agency).
    publishers: ClassVar[tuple[str, ...] | None] = None
    # Whether the type names a child (record.* and investigations do not).
    has_child: ClassVar[bool] = True

    event_id: UUID
    event_type: str
    schema_version: Literal[1]
    source: Source
    occurred_at: AwareDatetime
    child: Child | None = None
    payload: Any

    @model_validator(mode="after")
    def _envelope_rules(self, info: ValidationInfo) -> Envelope:
        # One validator for the cross-field rules: each Python hook costs every message ~1 us.
        if self.has_child and self.child is None:
            raise ValueError(f"child: {self.event_type} needs a child")
        if not self.has_child and self.child is not None:
            raise ValueError(f"child: {self.event_type} carries no child")
        if self.publishers is not None and self.source.agency not in self.publishers:
            raise ValueError(
                f"source.agency: {self.event_type} may only be published by "
                f"{' or '.join(self.publishers)}"
            )
        now = (info.context or {}).get("now") or dt.datetime.now(dt.UTC)
        if self.occurred_at - now > FUTURE_TOLERANCE:
            raise ValueError("occurred_at: more than 24 hours in the future")
        return self
