"""The ingest service on the in-memory store: idempotent batches, faults contained per
message, storage faults retried whole. Child ids are derived by hand from the store's key."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest

from contracts.examples import example_event, nhs_number
from hub.domain.events import FactRecorded, Pseudonyms
from hub.domain.intake import Inbound
from hub.errors import StoreUnavailable
from hub.service.ingest import IngestService, pseudonym_secret
from tests.fakes import MemoryStore, inbound

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def service() -> tuple[MemoryStore, IngestService]:
    store = MemoryStore()
    return store, IngestService(store, "STREAM", clock=lambda: NOW)


def pseudonyms(store: MemoryStore) -> Pseudonyms:
    """The store's own pseudonyms, from the key the service made and keeps in its keyring."""
    return Pseudonyms(pseudonym_secret(store))


def ids(**identifiers: str) -> dict[str, Any]:
    return {"ids": identifiers}


def facts(store: MemoryStore) -> list[FactRecorded]:
    return list(store.facts.all())


def registered(store: MemoryStore) -> dict[UUID, str]:
    return {event.originator_id: event.child_id for event in store.identifiers.all()}


def test_a_batch_is_stored_once_and_its_redelivery_is_all_duplicates() -> None:
    store, ingest = service()
    one = ids(nhs_number=nhs_number(1), la_child_id="LA-1")
    events = [
        example_event("missing.reported", child=one),
        example_event("missing.found", child=one),
        example_event("care.period_started", child=ids(la_child_id="LA-2")),
    ]
    first = ingest.record(inbound(*events))
    assert (first.stored, first.duplicates, first.position, first.rejections) == (3, 0, 3, [])

    p = pseudonyms(store)
    child_1 = str(p.child_id(f"nhs_number:{nhs_number(1)}"))  # its first identifier
    child_2 = str(p.child_id("la_child_id:LA-2"))
    assert [(f.event_id, f.child_id, f.timestamp) for f in facts(store)] == [
        (events[0]["event_id"], child_1, NOW),
        (events[1]["event_id"], child_1, NOW),
        (events[2]["event_id"], child_2, NOW),
    ]
    assert registered(store) == {
        p.identifier_id(f"nhs_number:{nhs_number(1)}"): child_1,
        p.identifier_id("la_child_id:LA-1"): child_1,
        p.identifier_id("la_child_id:LA-2"): child_2,
    }

    again = ingest.record([Inbound(m.subject, m.data, m.stream_seq, 2) for m in inbound(*events)])
    assert (again.stored, again.duplicates, again.position, again.rejections) == (0, 3, 0, [])
    assert (store.facts.count(), store.identifiers.count(), store.rejections.count()) == (3, 3, 0)


def _fail_on_identifier(
    monkeypatch: pytest.MonkeyPatch, ingest: IngestService, failing_key: str
) -> None:
    """A fault in identity resolution: the registry's digest of one identifier raises."""
    pseudonyms = ingest.registry.pseudonyms
    digest = pseudonyms.identifier_digest

    def faulty(key: str) -> bytes:
        if key == failing_key:
            raise RuntimeError("injected fault in identity resolution")
        return digest(key)

    monkeypatch.setattr(pseudonyms, "identifier_digest", faulty)


def test_a_fault_resolving_one_message_rejects_it_alone_and_forgets_its_identifiers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, ingest = service()
    _fail_on_identifier(monkeypatch, ingest, "police_person_id:P-BAD")
    before = example_event("missing.reported", child=ids(la_child_id="LA-1"))
    # Its own side (LA-7) resolves, and is staged, before the other side's fault.
    linked = example_event(
        "identity.linked", child=ids(la_child_id="LA-7"), other=ids(police_person_id="P-BAD")
    )
    after = example_event("missing.reported", child=ids(la_child_id="LA-3"))
    batch = inbound(before, linked, after)

    outcome = ingest.record(batch)

    assert (outcome.stored, outcome.duplicates, outcome.position) == (2, 0, 2)
    [rejection] = outcome.rejections
    assert "internal error" in rejection.reason
    assert (rejection.stream_seq, rejection.event_id) == (2, linked["event_id"])
    assert list(store.rejections.all()) == [rejection]
    assert [f.event_id for f in facts(store)] == [before["event_id"], after["event_id"]]
    p = pseudonyms(store)
    assert set(registered(store)) == {
        p.identifier_id("la_child_id:LA-1"),
        p.identifier_id("la_child_id:LA-3"),
    }
    assert len(ingest.registry) == 2

    # The next batch flows, and LA-7 is new to it: its child is named by the first identifier
    # (the NHS number), not by LA-7 as it would be had the failed message's staging stayed.
    later = example_event(
        "missing.reported", child=ids(nhs_number=nhs_number(7), la_child_id="LA-7")
    )
    next_outcome = ingest.record(inbound(later, start=4))
    assert (next_outcome.stored, next_outcome.rejections) == (1, [])
    child_7 = str(p.child_id(f"nhs_number:{nhs_number(7)}"))
    [fact] = [f for f in facts(store) if f.event_id == later["event_id"]]
    assert (fact.child_id, fact.joined_child_ids) == (child_7, [])
    assert registered(store)[p.identifier_id("la_child_id:LA-7")] == child_7

    # Redelivered while the fault lasts: the same reject, kept once; nothing else changes.
    redelivered = ingest.record(batch)
    assert (redelivered.stored, redelivered.duplicates) == (0, 2)
    assert store.rejections.count() == 1 and store.facts.count() == 3


def test_a_failed_messages_identifiers_are_unstaged_before_the_next_in_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, ingest = service()
    _fail_on_identifier(monkeypatch, ingest, "police_person_id:P-BAD")
    linked = example_event(
        "identity.linked", child=ids(la_child_id="LA-7"), other=ids(police_person_id="P-BAD")
    )
    same = example_event(
        "missing.reported", child=ids(nhs_number=nhs_number(7), la_child_id="LA-7")
    )

    outcome = ingest.record(inbound(linked, same))

    assert (outcome.stored, len(outcome.rejections)) == (1, 1)
    p = pseudonyms(store)
    [fact] = facts(store)
    assert fact.child_id == str(p.child_id(f"nhs_number:{nhs_number(7)}"))
    assert fact.joined_child_ids == []


@pytest.mark.parametrize(
    ("failing", "stored_on_retry", "duplicates_on_retry"),
    [
        ("facts.existing", 2, 0),  # in decide: nothing written
        ("identifiers.add_new", 2, 0),  # before the facts: nothing of them written
        ("facts.append", 2, 0),  # the identifiers are written, the facts are not
        ("rejections.add_new", 0, 2),  # after the facts committed: the retry finds them
    ],
)
def test_a_store_fault_fails_the_whole_batch_and_its_retry_stores_it_once(
    failing: str, stored_on_retry: int, duplicates_on_retry: int
) -> None:
    store, ingest = service()
    good = [
        example_event("missing.reported", child=ids(la_child_id="LA-1")),
        example_event("missing.reported", child=ids(la_child_id="LA-2")),
    ]
    batch = [*inbound(*good), Inbound("safeguarding.v1.police.missing.reported", b"{", 3)]
    store.fail_next(on=failing)

    with pytest.raises(StoreUnavailable):
        ingest.record(batch)
    assert store.rejections.count() == 0
    assert store.facts.count() == (2 if failing == "rejections.add_new" else 0)

    retry = ingest.record(batch)
    assert (retry.stored, retry.duplicates) == (stored_on_retry, duplicates_on_retry)
    assert [r.reason for r in retry.rejections] == ["body is not valid JSON"]
    p = pseudonyms(store)
    assert [(f.event_id, f.child_id) for f in facts(store)] == [
        (good[0]["event_id"], str(p.child_id("la_child_id:LA-1"))),
        (good[1]["event_id"], str(p.child_id("la_child_id:LA-2"))),
    ]
    assert (store.identifiers.count(), store.rejections.count()) == (2, 1)


def test_a_store_that_is_down_raises_until_it_is_back() -> None:
    store, ingest = service()
    event = example_event("missing.reported")
    store.down = True
    for _ in range(3):
        with pytest.raises(StoreUnavailable):
            ingest.record(inbound(event))
    store.down = False
    assert ingest.record(inbound(event)).stored == 1
    assert ingest.record(inbound(event)).duplicates == 1
    assert store.facts.count() == 1


def test_a_fault_outside_decide_records_the_batch_one_message_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, ingest = service()
    events = [
        example_event("missing.reported", child=ids(la_child_id=f"LA-{n}")) for n in range(1, 4)
    ]
    store.fail_next(on="identifiers.add_new", error=RuntimeError)

    outcome = ingest.record(inbound(*events))

    assert "one message at a time" in caplog.text
    assert (outcome.stored, outcome.duplicates, outcome.rejections) == (3, 0, [])
    assert outcome.position == 3
    assert [f.event_id for f in facts(store)] == [e["event_id"] for e in events]
    assert store.identifiers.count() == 3
    again = ingest.record(inbound(*events))
    assert (again.stored, again.duplicates) == (0, 3)
    assert store.facts.count() == 3


def test_a_message_whose_write_always_fails_is_kept_as_a_reject_and_the_rest_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, ingest = service()
    events = [
        example_event("missing.reported", child=ids(la_child_id=f"LA-{n}")) for n in range(1, 4)
    ]
    poison = UUID(events[1]["event_id"])
    append = store.facts.append

    def faulty(batch: Any) -> int:
        if any(fact.originator_id == poison for fact in batch):
            raise RuntimeError("injected fault writing one fact")
        return append(batch)

    monkeypatch.setattr(store.facts, "append", faulty)

    outcome = ingest.record(inbound(*events))

    assert (outcome.stored, outcome.duplicates, outcome.position) == (2, 0, 2)
    assert [(r.stream_seq, "internal error" in r.reason) for r in outcome.rejections] == [(2, True)]
    assert [f.event_id for f in facts(store)] == [events[0]["event_id"], events[2]["event_id"]]
    assert store.rejections.count() == 1
    follow = ingest.record(inbound(example_event("missing.reported"), start=4))
    assert (follow.stored, follow.position) == (1, 3)


def test_a_fault_that_every_message_meets_alike_holds_the_batch_instead_of_refusing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A broken dependency is not the messages' fault: refusing every one would make every
    agency re-send; holding the batch (retried) loses nothing."""
    store, ingest = service()
    events = [example_event("missing.reported") for _ in range(3)]

    def broken(batch: Any) -> int:
        raise RuntimeError("a dependency broke")

    monkeypatch.setattr(store.facts, "append", broken)
    with pytest.raises(StoreUnavailable, match="failed alike"):
        ingest.record(inbound(*events))
    assert (store.facts.count(), store.rejections.count()) == (0, 0)
    monkeypatch.undo()
    assert ingest.record(inbound(*events)).stored == 3


def test_a_faults_text_never_reaches_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception's text may quote the message; the logs get its type and frames only."""
    store, ingest = service()
    secret = nhs_number(77)
    events = [
        example_event("missing.reported", child=ids(nhs_number=secret)),
        example_event("missing.reported"),
    ]
    append = store.facts.append

    def leaky(batch: Any) -> int:
        if len(batch) > 1 or batch[0].event_id == events[0]["event_id"]:
            raise ValueError(f"cannot store child {secret}")
        return append(batch)

    monkeypatch.setattr(store.facts, "append", leaky)
    outcome = ingest.record(inbound(*events))
    assert (outcome.stored, len(outcome.rejections)) == (1, 1)
    assert outcome.rejections[0].event_id == events[0]["event_id"]
    assert "ValueError" in caplog.text and secret not in caplog.text
