"""What the hub tells each agency, as it happens (shared spec ``notifications.md``).

The names here are a public interface: the kinds, the subject
``safeguarding.v1.notify.<agency>.<kind>``, the body's fields, and the ``notification_id``,
a ``uuid5`` of the cause (the triggering fact's ``event_id``, the kind and the recipient), so
the same cause always gives the same id: it is the ``Nats-Msg-Id``, and JetStream and the hub
both keep it once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.subjects import ROOT
from contracts.vocabulary import RETURN_INTERVIEW_WINDOW

NOTIFY_PREFIX: Final = f"{ROOT}.notify."

LOOKED_AFTER_CHILD_REPORTED: Final = "missing.looked_after_child_reported"
LOOKED_AFTER_CHILD_FOUND: Final = "missing.looked_after_child_found"
RETURN_INTERVIEW_OVERDUE: Final = "return_interview.overdue"
RISK_REVIEW_ADVISED: Final = "missing.risk_review_advised"
ATTENDANCE_OF_CHILD_KNOWN_TO_CARE: Final = "health.attendance_of_child_known_to_care"
REPEAT_THRESHOLD_REACHED: Final = "missing.repeat_threshold_reached"
WITHDRAWN: Final = "withdrawn"

Kind = Literal[
    "missing.looked_after_child_reported",
    "missing.looked_after_child_found",
    "return_interview.overdue",
    "missing.risk_review_advised",
    "health.attendance_of_child_known_to_care",
    "missing.repeat_threshold_reached",
]

LA: Final = "local_authority"
POLICE: Final = "police"

RECIPIENTS: Final[dict[str, tuple[str, ...]]] = {
    LOOKED_AFTER_CHILD_REPORTED: (LA,),
    LOOKED_AFTER_CHILD_FOUND: (LA,),
    RETURN_INTERVIEW_OVERDUE: (LA,),
    RISK_REVIEW_ADVISED: (POLICE, LA),
    ATTENDANCE_OF_CHILD_KNOWN_TO_CARE: (LA,),
    REPEAT_THRESHOLD_REACHED: (LA, POLICE),
}
"""Each kind and the agencies it goes to (the spec's "to" column)."""

KINDS: Final = tuple(RECIPIENTS)

RETURN_INTERVIEW_DUE: Final = RETURN_INTERVIEW_WINDOW
"""``found_at`` + this is when a return interview is due (72 hours)."""
REPEAT_WINDOW_DAYS: Final = 90
REPEAT_THRESHOLD: Final = 3
"""The forum's defaults: 3 episodes in the 90 days ending at an episode's ``last_seen_at``."""
CSE_CONCERN_DAYS: Final = 90
"""A ``cse.concern_raised`` this many days before ``last_seen_at`` makes a low grading worth
a review."""
LOW_RISKS: Final = ("no_apparent_risk", "low")

OWN_REFERENCES: Final[dict[str, str]] = {
    "la_child_id": LA,
    "police_person_id": POLICE,
}
"""Identifiers that are one agency's own reference: never sent to another agency. The NHS
number and the UPN are national identifiers, sent to an agency that recorded them itself."""

_NAMESPACE: Final = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/notifications/")


def notify_subject(agency: str, kind: str) -> str:
    """``safeguarding.v1.notify.<agency>.<kind>`` (the kind's dots kept)."""
    return f"{NOTIFY_PREFIX}{agency}.{kind}"


def notification_id(cause_event_id: UUID | str, kind: str, recipient: str) -> UUID:
    """Stable for its cause: the same fact, kind and recipient give the same id."""
    return uuid5(_NAMESPACE, f"{UUID(str(cause_event_id))}/{kind}/{recipient}")


def withdrawal_id(withdrawn: UUID | str) -> UUID:
    """The ``withdrawn`` notice of one notification: one per notification withdrawn."""
    return uuid5(_NAMESPACE, f"{UUID(str(withdrawn))}/{WITHDRAWN}")


def own_identifiers(agency: str, ids: dict[str, Any]) -> dict[str, str]:
    """The identifiers of ``ids`` that ``agency`` may be told: its own reference and the
    national ones, never another agency's own reference."""
    return {
        name: str(value)
        for name, value in ids.items()
        if value is not None and OWN_REFERENCES.get(name, agency) == agency
    }


def rfc3339(moment: dt.datetime) -> str:
    """A time as the body carries it: RFC 3339 with its offset, to the second or finer."""
    if moment.tzinfo is None:
        raise ValueError("a notification's time needs an offset")
    return moment.isoformat()


def body(
    *,
    notification: UUID,
    kind: str,
    agency: str,
    child_ids: dict[str, str],
    cause: dict[str, Any],
    detail: dict[str, Any],
    raised_at: dt.datetime,
    withdraws: UUID | None = None,
) -> dict[str, Any]:
    """One notification's body, with exactly the spec's fields (``withdraws`` only on a
    ``withdrawn`` notice)."""
    if (kind == WITHDRAWN) != (withdraws is not None):
        raise ValueError("withdraws is set on a withdrawn notice, and only there")
    result: dict[str, Any] = {
        "notification_id": str(notification),
        "kind": kind,
        "agency": agency,
        "child": {"ids": dict(child_ids)},
        "cause": {
            "event_id": str(cause["event_id"]),
            "event_type": cause["event_type"],
            "agency": cause["agency"],
            "occurred_at": cause["occurred_at"],
        },
        "detail": dict(detail),
        "raised_at": rfc3339(raised_at),
    }
    if withdraws is not None:
        result["withdraws"] = str(withdraws)
    return result
