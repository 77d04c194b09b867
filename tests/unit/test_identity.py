"""Children are the same child when they share any identifier; ids are keyed, stable, staged."""

from __future__ import annotations

import hashlib
import uuid

from hub.domain.events import Pseudonyms
from hub.domain.identity import IdentityRegistry

PSEUDONYMS = Pseudonyms(b"k" * 32)


def test_a_new_child_gets_an_id_keyed_on_its_first_identifier() -> None:
    registry = IdentityRegistry(PSEUDONYMS)
    first = registry.resolve(["nhs_number:9990000018", "la_child_id:LA-1"])
    assert first.child_id == PSEUDONYMS.child_id("nhs_number:9990000018")
    assert first.joined == ()
    assert len(first.new_identifiers) == 2


def test_keyed_ids_are_stable_per_key_and_not_a_plain_hash() -> None:
    key = "nhs_number:9990000018"
    again = Pseudonyms(b"k" * 32)
    other = Pseudonyms(b"q" * 32)
    assert again.child_id(key) == PSEUDONYMS.child_id(key)
    assert other.child_id(key) != PSEUDONYMS.child_id(key)
    unkeyed = {uuid.uuid5(ns, key) for ns in (uuid.NAMESPACE_URL, uuid.NAMESPACE_OID)}
    assert PSEUDONYMS.child_id(key) not in unkeyed
    assert PSEUDONYMS.identifier_digest(key) != hashlib.sha256(key.encode()).digest()[:16]
    assert PSEUDONYMS.child_id(key).version == 8


def test_a_shared_identifier_resolves_to_the_same_child() -> None:
    registry = IdentityRegistry(PSEUDONYMS)
    council = registry.resolve(["nhs_number:9990000018", "la_child_id:LA-1"])
    police = registry.resolve(["police_person_id:P-9", "la_child_id:LA-1"])
    assert police.child_id == council.child_id
    assert police.new_identifiers == (PSEUDONYMS.identifier_digest("police_person_id:P-9"),)


def test_an_event_that_bridges_two_children_records_the_join() -> None:
    registry = IdentityRegistry(PSEUDONYMS)
    police = registry.resolve(["police_person_id:P-9"])
    council = registry.resolve(["la_child_id:LA-1"])
    bridge = registry.resolve(["police_person_id:P-9", "la_child_id:LA-1"])
    assert bridge.child_id == police.child_id
    assert bridge.joined == (council.child_id,)


def test_staged_identifiers_are_forgotten_on_reload_and_kept_on_commit() -> None:
    registry = IdentityRegistry(PSEUDONYMS)
    registry.resolve(["la_child_id:LA-1"])
    assert list(registry.staged()) == [PSEUDONYMS.identifier_id("la_child_id:LA-1")]
    registry.reload({})
    assert len(registry) == 0 and registry.staged() == {}
    child = registry.resolve(["la_child_id:LA-1"]).child_id
    registry.commit()
    assert len(registry) == 1 and registry.staged() == {}
    stored = {PSEUDONYMS.identifier_id("la_child_id:LA-1"): child}
    assert IdentityRegistry(PSEUDONYMS, stored).resolve(["la_child_id:LA-1"]).child_id == child


def test_reload_replaces_memory_with_the_stored_registry() -> None:
    registry = IdentityRegistry(PSEUDONYMS)
    registry.resolve(["la_child_id:LA-1"])
    registry.commit()
    registry.reload({})
    assert len(registry) == 0
