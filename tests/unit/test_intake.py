"""The intake's decisions on hand-built batches, over an in-memory record of stored facts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any

import orjson
import pytest

import contracts
from contracts.examples import example_event
from hub.domain.events import FactRecorded, Pseudonyms, rejection_id
from hub.domain.identity import IdentityRegistry
from hub.domain.intake import Decisions, Inbound, Intake

NOW = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


class InMemoryFacts:
    """Honest fake of the store's fact lookup: a dict of what has been 'stored'."""

    def __init__(self) -> None:
        self.facts: dict[uuid.UUID, FactRecorded] = {}

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        return {id for id in ids if id in self.facts}

    def get(self, id: uuid.UUID) -> FactRecorded | None:
        return self.facts.get(id)

    def store(self, decisions: Decisions) -> None:
        self.facts.update({fact.originator_id: fact for fact in decisions.facts})


class Hub:
    def __init__(self) -> None:
        self.facts = InMemoryFacts()
        self.registry = IdentityRegistry(Pseudonyms(b"k" * 32))
        self.intake = Intake(self.registry, self.facts, "STREAM")
        self.seq = 0

    def message(self, body: dict[str, Any] | bytes, subject: str | None = None) -> Inbound:
        self.seq += 1
        if isinstance(body, dict):
            subject = subject or contracts.subject_for(body["source"]["agency"], body["event_type"])
            body = orjson.dumps(body)
        return Inbound(subject or "safeguarding.v1.police.x", body, self.seq)

    def send(self, *bodies: dict[str, Any] | Inbound) -> Decisions:
        batch = [b if isinstance(b, Inbound) else self.message(b) for b in bodies]
        decisions = self.intake.decide(batch, NOW)
        self.facts.store(decisions)
        self.registry.commit()
        return decisions


def test_a_valid_event_becomes_a_fact_about_its_child() -> None:
    hub = Hub()
    event = example_event("missing.reported")
    decided = hub.send(event)
    [fact] = decided.facts
    assert fact.originator_id == uuid.UUID(event["event_id"])
    assert fact.body == event and fact.timestamp == NOW
    assert fact.child_id is not None and decided.rejections == []
    assert len(decided.identifiers) == 2


def test_the_same_event_twice_in_a_batch_or_later_is_stored_once() -> None:
    hub = Hub()
    event = example_event("missing.reported")
    first = hub.send(event, event)
    assert (len(first.facts), first.duplicates) == (1, 1)
    again = hub.send(event)
    assert (len(again.facts), again.duplicates, again.rejections) == (0, 1, [])


def test_a_reused_event_id_with_different_content_is_refused() -> None:
    hub = Hub()
    event = example_event("missing.reported")
    hub.send(event)
    changed = {**event, "payload": {**event["payload"], "risk": "high"}}
    [rejection] = hub.send(changed).rejections
    assert "already recorded with different content" in rejection.reason
    assert rejection.event_id == event["event_id"]


def test_every_bad_input_is_a_rejection_with_a_reason_and_no_fact() -> None:
    hub = Hub()
    good = example_event("missing.reported")
    batch = [
        hub.message(b"not json", "safeguarding.v1.police.missing.reported"),
        hub.message(good, "safeguarding.v1.health.missing.reported"),
        hub.message(good, "safeguarding.v1.police.missing.found"),
        hub.message(good, "safeguarding.v1.coastguard.missing.reported"),
        hub.message(good, "elsewhere.missing.reported"),
        hub.message(example_event("missing.reported", occurred_at="2018-01-01T00:00:00")),
        hub.message(example_event("record.retracted", target_event_id=str(uuid.uuid4()))),
    ]
    decided = hub.intake.decide(batch, NOW)
    assert decided.facts == [] and decided.identifiers == {}
    reasons = [r.reason for r in decided.rejections]
    assert reasons == [
        "body is not valid JSON",
        "source.agency 'police' does not match the subject's agency 'health'",
        "event_type 'missing.reported' does not match the subject's type",
        "subject: unknown agency; expected one of police, local_authority, health, education",
        "subject must be safeguarding.v1.<agency>.<event_type>",
        "occurred_at: Input should have timezone info",
        "payload.target_event_id is not a record the hub holds (waited for it over 1 "
        "deliveries); publish the original event, then this again",
    ]
    assert [r.originator_id for r in decided.rejections] == [
        rejection_id("STREAM", m.stream_seq, m.subject, m.data) for m in batch
    ]


def test_a_correction_before_its_target_waits_for_it_then_is_refused() -> None:
    hub = Hub()
    hub.intake.target_deliveries = 3
    original = example_event("missing.reported")
    retraction = example_event("record.retracted", target_event_id=original["event_id"])
    early = hub.message(retraction)
    for delivered in (1, 2):
        decided = hub.send(Inbound(early.subject, early.data, early.stream_seq, delivered))
        assert (decided.facts, decided.rejections) == ([], [])
        assert decided.deferred == [early.stream_seq]
    [rejection] = hub.send(Inbound(early.subject, early.data, early.stream_seq, 3)).rejections
    assert "over 3 deliveries" in rejection.reason
    assert rejection.event_id == retraction["event_id"]


def test_a_deferred_correction_is_stored_once_its_target_has_come() -> None:
    hub = Hub()
    hub.intake.target_deliveries = 3
    original = example_event("missing.reported")
    early = hub.message(example_event("record.retracted", target_event_id=original["event_id"]))
    assert hub.send(early).deferred == [early.stream_seq]
    hub.send(original)
    again = hub.send(Inbound(early.subject, early.data, early.stream_seq, 2))
    assert [fact.event_type for fact in again.facts] == ["record.retracted"]
    assert again.deferred == []


def test_the_hubs_own_reject_notices_are_passed_over() -> None:
    hub = Hub()
    decided = hub.send(hub.message(b"{}", contracts.rejected_subject("police")))
    assert (decided.facts, decided.rejections, decided.passed_over) == ([], [], 1)


def test_a_correction_may_follow_its_target_in_the_same_batch() -> None:
    hub = Hub()
    original = example_event("missing.reported")
    replacement = {**original["payload"], "classification": "absent"}
    correction = example_event(
        "record.corrected", target_event_id=original["event_id"], replacement=replacement
    )
    decided = hub.send(original, correction)
    assert [f.event_type for f in decided.facts] == ["missing.reported", "record.corrected"]
    assert decided.facts[1].child_id is None


@pytest.mark.parametrize(
    ("agency", "replacement_change", "expected"),
    [
        ("health", {}, "another agency's record"),
        ("police", {"risk": "extreme"}, "payload.replacement.risk"),
    ],
)
def test_a_correction_is_checked_against_its_target(
    agency: str, replacement_change: dict[str, Any], expected: str
) -> None:
    hub = Hub()
    original = example_event("missing.reported")
    hub.send(original)
    correction = example_event(
        "record.corrected",
        agency=agency,
        target_event_id=original["event_id"],
        replacement={**original["payload"], **replacement_change},
    )
    [rejection] = hub.send(correction).rejections
    assert expected in rejection.reason


def test_a_retraction_cannot_target_another_retraction() -> None:
    hub = Hub()
    original = example_event("missing.reported")
    retraction = example_event("record.retracted", target_event_id=original["event_id"])
    hub.send(original, retraction)
    again = example_event("record.retracted", target_event_id=retraction["event_id"])
    [rejection] = hub.send(again).rejections
    assert "is a correction or retraction" in rejection.reason


def test_children_are_linked_across_agencies_by_a_shared_identifier() -> None:
    hub = Hub()
    police = example_event("missing.reported", child={"ids": {"police_person_id": "P-7"}})
    council = example_event("care.period_started", child={"ids": {"la_child_id": "LA-7"}})
    bridge = example_event(
        "health.concern_raised", child={"ids": {"police_person_id": "P-7", "la_child_id": "LA-7"}}
    )
    facts = hub.send(police, council, bridge).facts
    # Which child the bridge is filed under is fixed by identifier order; it names both.
    assert {facts[2].child_id, *facts[2].joined_child_ids} == {facts[0].child_id, facts[1].child_id}
    assert len(facts[2].joined_child_ids) == 1


def test_identity_linked_names_the_other_child() -> None:
    hub = Hub()
    police = example_event("missing.reported", child={"ids": {"police_person_id": "P-7"}})
    council = example_event("care.period_started", child={"ids": {"la_child_id": "LA-7"}})
    link = example_event(
        "identity.linked",
        child={"ids": {"la_child_id": "LA-7"}},
        other={"ids": {"police_person_id": "P-7"}},
    )
    facts = hub.send(police, council, link).facts
    assert facts[2].child_id == facts[1].child_id
    assert facts[2].other_child_id == facts[0].child_id
    assert facts[2].joined_child_ids == []


def test_json_that_only_pydantic_accepts_is_refused_not_stuck() -> None:
    hub = Hub()
    original = example_event("missing.reported")
    hub.send(original)
    body = orjson.dumps(
        example_event("record.corrected", target_event_id=original["event_id"], replacement={})
    )
    nan = body.replace(b'"replacement":{}', b'"replacement":{"x":NaN}')
    [rejection] = hub.send(hub.message(nan, "safeguarding.v1.police.record.corrected")).rejections
    assert rejection.reason == "body is not valid JSON"


def test_a_fault_in_validation_becomes_a_kept_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    hub = Hub()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug, quoting 9990000018")

    monkeypatch.setattr(contracts, "parse_event", broken)
    [rejection] = hub.send(example_event("missing.reported")).rejections
    assert "internal error" in rejection.reason
    assert "9990000018" not in rejection.reason
    assert rejection.raw_base64  # kept, so it can be re-sent once fixed


def test_a_correction_must_be_as_strict_as_the_original() -> None:
    hub = Hub()
    original = example_event("police.safe_and_well_check")
    hub.send(original)
    lax = {**original["payload"], "concerns_identified": "yes"}
    correction = example_event(
        "record.corrected", target_event_id=original["event_id"], replacement=lax
    )
    [rejection] = hub.send(correction).rejections
    assert "payload.replacement.concerns_identified" in rejection.reason


def test_a_recreated_stream_does_not_collide_with_old_rejections() -> None:
    assert rejection_id("S", 5, "a.b", b"x") != rejection_id("S", 5, "a.b", b"y")
    assert rejection_id("S", 5, "a.b", b"x") == rejection_id("S", 5, "a.b", b"x")
