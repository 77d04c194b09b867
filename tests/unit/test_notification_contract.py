"""The notifications' public interface (``../shared/spec/notifications.md``) as code."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from contracts import notifications as n

CAUSE = uuid.UUID("3f1c2a9e-0000-4000-8000-000000000001")


def test_the_subject_keeps_the_kinds_dots() -> None:
    assert (
        n.notify_subject("local_authority", n.RETURN_INTERVIEW_OVERDUE)
        == "safeguarding.v1.notify.local_authority.return_interview.overdue"
    )


def test_an_id_is_stable_for_its_cause_and_differs_by_kind_and_recipient() -> None:
    one = n.notification_id(CAUSE, n.RISK_REVIEW_ADVISED, "police")
    assert one == n.notification_id(str(CAUSE), n.RISK_REVIEW_ADVISED, "police")
    assert one != n.notification_id(CAUSE, n.RISK_REVIEW_ADVISED, "local_authority")
    assert one != n.notification_id(CAUSE, n.REPEAT_THRESHOLD_REACHED, "police")
    assert n.withdrawal_id(one) == n.withdrawal_id(str(one)) != one


def test_the_kinds_and_who_they_go_to_are_the_specs() -> None:
    assert n.RECIPIENTS == {
        "missing.looked_after_child_reported": ("local_authority",),
        "missing.looked_after_child_found": ("local_authority",),
        "return_interview.overdue": ("local_authority",),
        "missing.risk_review_advised": ("police", "local_authority"),
        "health.attendance_of_child_known_to_care": ("local_authority",),
        "missing.repeat_threshold_reached": ("local_authority", "police"),
    }


def test_an_agency_is_told_its_own_reference_and_the_national_ones_only() -> None:
    ids = {
        "la_child_id": "LA-1",
        "police_person_id": "P-1",
        "nhs_number": "9990000018",
        "upn": None,
    }
    assert n.own_identifiers("local_authority", ids) == {
        "la_child_id": "LA-1",
        "nhs_number": "9990000018",
    }
    assert n.own_identifiers("police", ids) == {
        "police_person_id": "P-1",
        "nhs_number": "9990000018",
    }
    assert n.own_identifiers("health", ids) == {"nhs_number": "9990000018"}


def test_a_body_has_the_specs_fields_and_withdraws_only_on_a_withdrawal() -> None:
    at = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    cause = {
        "event_id": CAUSE,
        "event_type": "missing.found",
        "agency": "police",
        "occurred_at": "2026-03-29T00:30:00+00:00",
    }
    nid = n.notification_id(CAUSE, n.LOOKED_AFTER_CHILD_FOUND, "local_authority")
    body = n.body(
        notification=nid,
        kind=n.LOOKED_AFTER_CHILD_FOUND,
        agency="local_authority",
        child_ids={"la_child_id": "LA-1"},
        cause=cause,
        detail={"episode_ref": "EP-1"},
        raised_at=at,
    )
    assert set(body) == {
        "notification_id", "kind", "agency", "child", "cause", "detail", "raised_at"
    }  # fmt: skip
    assert body["raised_at"] == "2026-03-29T01:30:00+01:00"
    assert body["cause"]["event_id"] == str(CAUSE)
    withdrawn = n.body(
        notification=n.withdrawal_id(nid),
        kind=n.WITHDRAWN,
        agency="local_authority",
        child_ids={"la_child_id": "LA-1"},
        cause=cause,
        detail={},
        raised_at=at,
        withdraws=nid,
    )
    assert withdrawn["withdraws"] == str(nid)
    with pytest.raises(ValueError, match="withdraws"):
        n.body(
            notification=nid,
            kind=n.WITHDRAWN,
            agency="local_authority",
            child_ids={},
            cause=cause,
            detail={},
            raised_at=at,
        )
    with pytest.raises(ValueError, match="offset"):
        n.body(
            notification=nid,
            kind=n.LOOKED_AFTER_CHILD_FOUND,
            agency="local_authority",
            child_ids={},
            cause=cause,
            detail={},
            raised_at=dt.datetime(2026, 1, 1),  # no offset: refused
        )
