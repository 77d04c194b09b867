"""The v1 contract: every type validates, every check refuses what it should, and says why."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import orjson
import pytest

import contracts
from contracts.examples import EVENT_TYPE_NAMES, example_event, nhs_number, upn


def parse(body: dict[str, Any]) -> contracts.Envelope:
    return contracts.parse_event(orjson.dumps(body))


def reason_for(body: dict[str, Any] | bytes) -> str:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    with pytest.raises(contracts.ContractViolation) as error:
        contracts.parse_event(data)
    return str(error.value)


def test_the_contract_has_every_type_in_the_spec() -> None:
    assert set(contracts.EVENT_TYPES) == set(EVENT_TYPE_NAMES)
    assert len(contracts.EVENT_TYPES) == 33  # 32 in v1, care.missing_recorded in v1.1


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_example_of_each_type_is_valid(event_type: str) -> None:
    event = parse(example_event(event_type))
    assert event.event_type == event_type
    assert type(event) is contracts.EVENT_TYPES[event_type]


def _reference_nhs_check(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(number[9])


def test_nhs_number_check_agrees_with_modulus_11_on_random_numbers() -> None:
    rng = random.Random(7)
    numbers = [f"{rng.randrange(10**10):010d}" for _ in range(20_000)]
    assert [contracts.nhs_number_is_valid(n) for n in numbers] == [
        _reference_nhs_check(n) for n in numbers
    ]
    assert contracts.nhs_number_is_valid("9434765919")  # NHS England's documented example


@pytest.mark.parametrize("bad", ["9434765918", "943476591", "94347659190", "94347659a9", ""])
def test_nhs_number_with_wrong_check_digit_or_shape_is_refused(bad: str) -> None:
    assert not contracts.nhs_number_is_valid(bad)


def test_nhs_number_whose_check_would_be_ten_is_refused() -> None:
    # No check digit can make such a number valid: find one by search.
    number = next(
        f"{n:09d}"
        for n in range(10**6)
        if 11 - sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11
        == 10
    )
    assert all(not contracts.nhs_number_is_valid(number + str(d)) for d in range(10))


def test_upn_check_letter_is_validated_and_case_insensitive() -> None:
    good = upn(123456)
    assert contracts.upn_is_valid(good)
    wrong_letter = ("B" if good[0] != "B" else "C") + good[1:]
    assert not contracts.upn_is_valid(wrong_letter)
    assert not contracts.upn_is_valid(good[:-1])
    event = parse(example_event("education.concern_raised", child={"ids": {"upn": good.lower()}}))
    assert event.child is not None and event.child.ids.upn == good


def test_upn_check_letter_follows_the_dfe_weights() -> None:
    # Worked by hand: digits 2..13 weighted 2..13, remainder mod 23 indexes A-Z without I, O, S.
    body = "820200101001"
    total = sum(int(c) * w for c, w in zip(body, range(2, 14), strict=True))
    assert contracts.upn_check_letter(body) == "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda e: e.update(occurred_at="2018-03-10T14:00:00"),
            "occurred_at: Input should have timezone",
        ),
        (
            lambda e: e.update(event_type="missing.teleported"),
            "event_type: not a v1 event type",
        ),
        (lambda e: e.pop("event_type"), "event_type: field required"),
        (lambda e: e.update(schema_version=2), "schema_version"),
        (lambda e: e.update(event_id="not-a-uuid"), "event_id"),
        (lambda e: e["payload"].update(risk="extreme"), "payload.risk"),
        (lambda e: e["payload"].pop("episode_ref"), "payload.episode_ref: Field required"),
        (lambda e: e["payload"].update(colour="red"), "payload: has a field the contract"),
        (lambda e: e["child"].update(ids={}), "child.ids needs at least one"),
        (lambda e: e.pop("child"), "child: missing.reported needs a child"),
        (
            lambda e: e.update(source={"agency": "health", "system": "x"}),
            "may only be published by police",
        ),
        (lambda e: e["payload"].update(last_seen_at="yesterday"), "payload.last_seen_at"),
    ],
)
def test_invalid_missing_report_is_refused_with_a_reason(change: Any, expected: str) -> None:
    body = example_event("missing.reported")
    change(body)
    assert expected in reason_for(body)


def test_occurred_at_more_than_a_day_ahead_is_refused() -> None:
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    assert "24 hours in the future" in reason_for(
        example_event("missing.reported", occurred_at=ahead)
    )
    parse(example_event("missing.reported", occurred_at=ahead - dt.timedelta(hours=2)))


@pytest.mark.parametrize(
    ("event_type", "changes", "expected"),
    [
        ("cost.recorded", {"amount_gbp": "0.00"}, "greater than zero"),
        ("cost.recorded", {"amount_gbp": 12.5}, "decimal string"),
        ("cost.recorded", {"period_end": "2018-02-01"}, "period_end is before"),
        ("safeguarding.alert_raised", {"categories": []}, "payload.categories"),
        ("safeguarding.alert_raised", {"categories": ["cse", "arson"]}, "payload.categories"),
        (
            "safeguarding.organised_abuse_investigation_started",
            {"alert_refs": []},
            "payload.alert_refs",
        ),
        (
            "return_interview.completed",
            {"findings": {"harmed_physically": True}},
            "payload.findings",
        ),
        ("missing.found", {"found_by": "dog"}, "payload.found_by"),
    ],
)
def test_payload_checks(event_type: str, changes: dict[str, Any], expected: str) -> None:
    assert expected in reason_for(example_event(event_type, **changes))


def test_council_missing_record_parses() -> None:
    event = parse(example_event("care.missing_recorded", kind="away", ended_on=None))
    assert event.source.agency == "local_authority" and event.child is not None
    assert event.payload.kind == "away"
    assert event.payload.started_on == dt.date(2018, 3, 10) and event.payload.ended_on is None
    assert event.payload.police_episode_ref == "EP-1"
    bare = example_event("care.missing_recorded")
    del bare["payload"]["ended_on"], bare["payload"]["police_episode_ref"]
    assert parse(bare).payload.police_episode_ref is None


def test_council_missing_record_ending_before_it_started_is_refused_without_the_dates() -> None:
    reason = reason_for(
        example_event("care.missing_recorded", started_on="2018-03-10", ended_on="2018-03-09")
    )
    assert "ended_on is before started_on" in reason
    assert "2018-03-10" not in reason and "2018-03-09" not in reason
    parse(example_event("care.missing_recorded", started_on="2018-03-10", ended_on="2018-03-10"))


@pytest.mark.parametrize("kind", ["absent", "M", "A", "Missing", ""])
def test_council_missing_record_kind_is_missing_or_away(kind: str) -> None:
    reason = reason_for(example_event("care.missing_recorded", kind=kind))
    assert "payload.kind" in reason


@pytest.mark.parametrize("agency", ["police", "health", "education"])
def test_only_the_council_may_publish_its_missing_record(agency: str) -> None:
    reason = reason_for(example_event("care.missing_recorded", agency=agency))
    assert "care.missing_recorded may only be published by local_authority" in reason


def test_record_events_carry_no_child() -> None:
    body = example_event("record.retracted")
    body["child"] = {"ids": {"la_child_id": "LA-1"}}
    assert "record.retracted carries no child" in reason_for(body)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not json", "body is not valid JSON"),
        (b"[1, 2]", "body must be one JSON object"),
        (b"\xff\xfe", "body is not valid JSON"),
    ],
)
def test_a_body_that_is_not_one_json_object_is_refused(data: bytes, expected: str) -> None:
    assert reason_for(data) == expected


def test_reasons_never_repeat_the_identifiers_they_refuse() -> None:
    bad_nhs = "9434765918"
    body = example_event(
        "missing.reported", child={"ids": {"nhs_number": bad_nhs}, "given_name": "Zebedee"}
    )
    body["child"]["date_of_birth"] = "not a date"
    reason = reason_for(body)
    assert "child.ids.nhs_number" in reason and "child.date_of_birth" in reason
    assert bad_nhs not in reason and "Zebedee" not in reason and "not a date" not in reason


def test_reasons_never_repeat_what_the_publisher_wrote_in_names_or_types() -> None:
    body = example_event("missing.reported", child={"ids": {"la_child_id": "LA-1"}})
    body["child"]["ids"]["9434765919"] = "x"
    body["event_type"] = "Jane Smith 9434765919"
    assert "9434765919" not in reason_for(body) and "Jane" not in reason_for(body)
    body["event_type"] = "missing.reported"
    assert reason_for(body) == "child.ids: has a field the contract does not define"


def test_timestamps_keep_the_offset_they_were_given() -> None:
    event = parse(example_event("missing.reported", occurred_at="2018-03-31T23:30:00+01:00"))
    assert event.occurred_at.utcoffset() == dt.timedelta(hours=1)
    assert event.occurred_at == dt.datetime(2018, 3, 31, 22, 30, tzinfo=dt.UTC)


def test_correction_replacement_is_checked_against_the_target_type() -> None:
    good = example_event("missing.reported")["payload"] | {"classification": "absent"}
    contracts.parse_payload("missing.reported", good)
    with pytest.raises(contracts.ContractViolation, match=r"payload\.replacement\.risk"):
        contracts.parse_payload("missing.reported", good | {"risk": "extreme"})


def test_json_schema_describes_every_type() -> None:
    schema = contracts.json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == set(contracts.EVENT_TYPES)


def test_subjects_round_trip_and_reject_notices_are_recognised() -> None:
    subject = contracts.subject_for("police", "missing.reported")
    assert subject == "safeguarding.v1.police.missing.reported"
    assert contracts.parse_subject(subject) == ("police", "missing.reported")
    assert contracts.parse_subject("safeguarding.v2.police.x") is None
    assert contracts.is_rejection(contracts.rejected_subject("police"))
    assert nhs_number(3) != nhs_number(4)
