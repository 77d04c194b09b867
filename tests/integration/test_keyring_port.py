"""The Keyring port's promises, checked on the in-memory fake (``tests.fakes.MemoryKeyring``)
and the real ``SqlKeyring`` (``hub_data_keys``) on SQLite and PostgreSQL: the same tests with
the same results are what make the fake honest. Then what only the real one has: the master
key file, made at first use, and refused when it is not the store's."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.adapters.keyring import SqlKeyring, key_id, new_master_key, write_master_key
from hub.bootstrap import build_store
from hub.config import Settings
from hub.errors import ConfigurationError
from hub.service.ports import Keyring
from tests.fakes import MemoryKeyring
from tests.support import postgres_schema

CHILD = "0d2c1e4a-5b6c-8d7e-8f90-a1b2c3d4e5f6"
OTHER = "1d2c1e4a-5b6c-8d7e-8f90-a1b2c3d4e5f6"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def keyring(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Keyring]:
    if request.param == "memory":
        yield MemoryKeyring()
        return
    urls = postgres_schema() if request.param == "postgres" else iter([None])
    for url in urls:
        store = build_store(Settings(data_dir=tmp_path / "hub", database_url=url))
        try:
            yield store.keyring
        finally:
            store.close()


def test_a_sealed_part_opens_with_its_associated_data_only(keyring: Keyring) -> None:
    sealed = keyring.seal(CHILD, "body", b"event-1", b'{"nhs_number":"9434765919"}')
    assert (sealed["k"], sealed["v"], sealed["p"]) == (CHILD, 1, "body")
    assert b"9434765919" not in base64.b64decode(sealed["ct"])
    assert keyring.unseal(sealed, b"event-1") == b'{"nhs_number":"9434765919"}'
    for moved in (
        b"event-2",  # onto another fact
    ):
        with pytest.raises(ConfigurationError):
            keyring.unseal(sealed, moved)
    with pytest.raises(ConfigurationError):  # relabelled as another part
        keyring.unseal({**sealed, "p": "other"}, b"event-1")


def test_each_owner_has_its_own_key(keyring: Keyring) -> None:
    mine = keyring.seal(CHILD, "body", b"e", b"x")
    theirs = keyring.seal(OTHER, "body", b"e", b"x")
    with pytest.raises(ConfigurationError):  # another owner's key does not open it
        keyring.unseal({**mine, "k": OTHER}, b"e")
    assert keyring.unseal(theirs, b"e") == b"x"


def test_shredding_makes_what_was_sealed_unreadable_and_is_harmless_twice(
    keyring: Keyring,
) -> None:
    sealed = keyring.seal(CHILD, "body", b"e", b"secret")
    other = keyring.seal(OTHER, "body", b"e", b"kept")
    assert not keyring.shredded(CHILD)
    assert keyring.shred([CHILD]) == 1
    assert keyring.shredded(CHILD)
    assert keyring.unseal(sealed, b"e") is None
    assert keyring.unseal(other, b"e") == b"kept"
    assert keyring.shred([CHILD]) == 0  # already shredded
    assert keyring.shred(["never-had-one"]) == 0
    assert not keyring.shredded("never-had-one")


def test_a_later_seal_after_shredding_gets_the_next_version(keyring: Keyring) -> None:
    keyring.seal(CHILD, "body", b"e1", b"before")
    keyring.shred([CHILD])
    later = keyring.seal(CHILD, "body", b"e2", b"after")
    assert later["v"] == 2
    assert keyring.unseal(later, b"e2") == b"after"
    assert not keyring.shredded(CHILD)


def test_prepare_makes_keys_for_many_owners_at_once(keyring: Keyring) -> None:
    owners = [f"child-{n}" for n in range(700)]  # more than one chunk of the SQL IN list
    keyring.prepare(owners)
    keyring.prepare(owners)  # again: the same keys
    sealed = [keyring.seal(owner, "body", b"e", owner.encode()) for owner in owners]
    assert {part["v"] for part in sealed} == {1}
    assert keyring.shred(owners[:600]) == 600
    assert keyring.unseal(sealed[650], b"e") == b"child-650"


def test_the_pseudonym_secret_is_kept_and_never_shredded(keyring: Keyring) -> None:
    legacy = b"L" * 32
    assert keyring.secret("pseudonyms", legacy) == legacy  # a legacy secret adopted
    assert keyring.secret("pseudonyms") == legacy
    with pytest.raises(ValueError, match="cannot be shredded"):
        keyring.shred(["pseudonyms"])


def test_rotation_rewraps_every_live_key_under_the_new_master(keyring: Keyring) -> None:
    sealed = keyring.seal(CHILD, "body", b"e", b"x")
    keyring.seal(OTHER, "body", b"e", b"y")
    keyring.shred([OTHER])
    assert keyring.rotate(new_master_key()) == 1  # the shredded one stays a tombstone
    assert keyring.unseal(sealed, b"e") == b"x"


# -- the real keyring only --------------------------------------------------------------------


def test_the_master_key_is_made_at_first_use_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "hub")
    store = build_store(settings)
    assert not settings.default_master_key.exists()  # opening a store makes no key
    sealed = store.keyring.seal(CHILD, "body", b"e", b"x")
    store.close()
    key_file = settings.default_master_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    again = build_store(settings)
    assert again.keyring.unseal(sealed, b"e") == b"x"
    again.close()


def test_a_wrong_or_missing_master_key_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "hub")
    store = build_store(settings)
    sealed = store.keyring.seal(CHILD, "body", b"e", b"x")
    store.close()
    wrong = tmp_path / "wrong.key"
    write_master_key(wrong, new_master_key())
    store = build_store(settings.model_copy(update={"master_key_file": wrong}))
    with pytest.raises(ConfigurationError, match="not the one the store's data keys"):
        store.keyring.unseal(sealed, b"e")
    store.close()
    settings.default_master_key.unlink()  # lost: the store refuses to make a new one
    store = build_store(settings)
    with pytest.raises(ConfigurationError, match="master key that is not here"):
        store.keyring.seal(OTHER, "body", b"e", b"y")
    store.close()
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    store = build_store(settings.model_copy(update={"master_key_file": garbage}))
    with pytest.raises(ConfigurationError, match="not a master key"):
        store.keyring.seal(OTHER, "body", b"e", b"y")
    store.close()


def test_the_master_key_file_given_is_used(tmp_path: Path) -> None:
    key_file = tmp_path / "elsewhere" / "master.key"
    master = new_master_key()
    write_master_key(key_file, master)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o400
    settings = Settings(data_dir=tmp_path / "hub", master_key_file=key_file)
    store = build_store(settings)
    store.keyring.seal(CHILD, "body", b"e", b"x")
    assert isinstance(store.keyring, SqlKeyring)
    assert store.keyring.table.master_key_ids() == {key_id(master)}
    assert not settings.default_master_key.exists()
    store.close()
