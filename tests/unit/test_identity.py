"""Children are the same child when they share any identifier; ids are stable and staged."""

from __future__ import annotations

from hub.domain.events import identifier_digest, identifier_id, new_child_id
from hub.domain.identity import IdentityRegistry


def test_a_new_child_gets_an_id_derived_from_its_first_identifier() -> None:
    registry = IdentityRegistry()
    first = registry.resolve(["nhs_number:9990000018", "la_child_id:LA-1"])
    assert first.child_id == new_child_id("nhs_number:9990000018")
    assert first.joined == ()
    assert len(first.new_identifiers) == 2


def test_a_shared_identifier_resolves_to_the_same_child() -> None:
    registry = IdentityRegistry()
    council = registry.resolve(["nhs_number:9990000018", "la_child_id:LA-1"])
    police = registry.resolve(["police_person_id:P-9", "la_child_id:LA-1"])
    assert police.child_id == council.child_id
    assert police.new_identifiers == (identifier_digest("police_person_id:P-9"),)


def test_an_event_that_bridges_two_children_records_the_join() -> None:
    registry = IdentityRegistry()
    police = registry.resolve(["police_person_id:P-9"])
    council = registry.resolve(["la_child_id:LA-1"])
    bridge = registry.resolve(["police_person_id:P-9", "la_child_id:LA-1"])
    assert bridge.child_id == police.child_id
    assert bridge.joined == (council.child_id,)


def test_staged_identifiers_are_forgotten_on_rollback_and_kept_on_commit() -> None:
    registry = IdentityRegistry()
    registry.resolve(["la_child_id:LA-1"])
    assert list(registry.staged()) == [identifier_id("la_child_id:LA-1")]
    registry.rollback()
    assert len(registry) == 0 and registry.staged() == {}
    child = registry.resolve(["la_child_id:LA-1"]).child_id
    registry.commit()
    assert len(registry) == 1 and registry.staged() == {}
    assert (
        IdentityRegistry({identifier_id("la_child_id:LA-1"): child})
        .resolve(["la_child_id:LA-1"])
        .child_id
        == child
    )


def test_identifier_digest_is_the_registry_id() -> None:
    for key in ("nhs_number:9990000018", "upn:J999000000005", "la_child_id:ü"):
        assert identifier_digest(key) == identifier_id(key).bytes
