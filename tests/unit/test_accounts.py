"""Accounts on the honest in-memory streams: passwords, one-time passwords, tokens, disabling."""

from __future__ import annotations

import pytest

from hub.adapters.passwords import Argon2Hasher
from hub.domain.people import Can, User, allows, valid_role
from hub.errors import InputError, NotFound
from hub.service.accounts import Accounts
from tests.fakes import MemoryStreams


@pytest.fixture
def accounts() -> Accounts:
    # argon2 with small costs: the same algorithm, fast enough for unit tests.
    from argon2 import PasswordHasher

    return Accounts(MemoryStreams(), Argon2Hasher(PasswordHasher(time_cost=1, memory_cost=64)))


def test_a_one_time_password_signs_in_and_must_be_changed(accounts: Accounts) -> None:
    password = accounts.add("alice@council.example", "foi_officer")
    user = accounts.sign_in("alice@council.example", password)
    assert user == User("alice@council.example", "foi_officer", False, True)
    accounts.change_password("alice@council.example", "a long new passphrase")
    assert accounts.sign_in("alice@council.example", password) is None
    signed = accounts.sign_in("alice@council.example", "a long new passphrase")
    assert signed is not None and not signed.must_change_password


def test_wrong_password_unknown_name_and_disabled_are_all_refused(accounts: Accounts) -> None:
    password = accounts.add("bob", "analyst")
    assert accounts.sign_in("bob", password + "x") is None
    assert accounts.sign_in("nobody", password) is None
    accounts.disable("bob")
    assert accounts.sign_in("bob", password) is None
    assert accounts.get("bob") == User("bob", "analyst", True, True)


def test_a_weak_or_unchanged_password_is_refused(accounts: Accounts) -> None:
    password = accounts.add("carol", "forum")
    with pytest.raises(InputError, match="12 characters"):
        accounts.change_password("carol", "short")
    with pytest.raises(InputError, match="other than"):
        accounts.change_password("carol", password if len(password) >= 12 else password * 2)


def test_names_and_roles_are_checked(accounts: Accounts) -> None:
    accounts.add("dan", "agency:police")
    with pytest.raises(InputError, match="already"):
        accounts.add("dan", "analyst")
    with pytest.raises(InputError, match="no role"):
        accounts.add("erin", "agency:fire")
    with pytest.raises(InputError, match="letters"):
        accounts.add("bad name", "analyst")
    with pytest.raises(NotFound):
        accounts.disable("nobody")


def test_a_token_names_one_account_and_a_new_one_replaces_it(accounts: Accounts) -> None:
    accounts.add("svc", "analyst")
    accounts.add("other", "forum")
    first = accounts.issue_token("svc")
    assert accounts.by_token(first) == User("svc", "analyst", False, True)
    second = accounts.issue_token("svc")
    assert accounts.by_token(first) is None
    assert accounts.by_token(second) is not None
    # The same secret under another account's id is not a token of that account.
    other_id = accounts.issue_token("other").split("_")[1]
    forged = f"hub_{other_id}_{second.rsplit('_', 1)[1]}"
    assert accounts.by_token(forged) is None
    assert accounts.by_token("not a token") is None
    accounts.disable("svc")
    assert accounts.by_token(second) is None


def test_users_lists_each_account_once(accounts: Accounts) -> None:
    accounts.add("b", "forum")
    accounts.add("a", "auditor")
    accounts.issue_token("a")
    assert [(u.name, u.role) for u in accounts.users()] == [("a", "auditor"), ("b", "forum")]


@pytest.mark.parametrize(
    ("role", "can", "allowed"),
    [
        ("foi_officer", Can.FOI, True),
        ("foi_officer", Can.FOI_RAW, False),
        ("foi_officer", Can.PUBLISH, True),
        ("analyst", Can.FOI_RAW, True),
        ("analyst", Can.PUBLISH, False),
        ("forum", Can.FORUM, True),
        ("forum", Can.FOI, False),
        ("auditor", Can.AUDIT, True),
        ("admin", Can.USERS, True),
        ("admin", Can.FOI, False),
        ("agency:police", Can.AGENCY, True),
        ("agency:police", Can.FORUM, False),
        ("agency:fire", Can.AGENCY, False),
    ],
)
def test_the_roles_table(role: str, can: Can, allowed: bool) -> None:
    assert allows(role, can) is allowed
    assert User("x", role, disabled=True).can(can) is False


def test_valid_roles() -> None:
    assert valid_role("agency:health") and not valid_role("agency:") and not valid_role("root")
