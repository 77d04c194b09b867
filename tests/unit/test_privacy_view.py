"""The derivation view: nothing that identifies a child, and what the figures need.

Every contract type's example is checked; the free-text fields the view drops are checked
against the contract's own models (a new ``Text`` field must be added to the view's list);
the coarse month of birth gives the forum's age bands the exact date gave, on every month's
last day, for every date of birth but the 29th of February (see docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import orjson
import pytest

import contracts
from contracts.examples import example_event, nhs_number
from hub.domain import privacy
from hub.domain.events import FactRecorded
from projections._forum import age_band
from projections._time import day_number
from tests.fakes import MemoryKeyring

DIGESTS = privacy.Digests(b"k" * 32)
CHILD = {
    "ids": {
        "nhs_number": nhs_number(5),
        "la_child_id": "LA-SECRET-55",
        "police_person_id": "P-SECRET-55",
        "upn": "A123456789012",
    },
    "given_name": "Philippa",
    "family_name": "Quennell",
    "date_of_birth": "2006-07-19",
    "sex": "female",
}


def test_every_free_text_field_of_the_contract_is_dropped_or_digested() -> None:
    free_text = set()
    for model in contracts.EVENT_TYPES.values():
        payload = model.model_fields["payload"].annotation
        for name, info in getattr(payload, "model_fields", {}).items():
            if any("max_length=500" in repr(m) for m in info.metadata):
                free_text.add(name)
    assert free_text
    assert free_text <= privacy.FREE_TEXT | privacy.COMPARED


@pytest.mark.parametrize("event_type", sorted(contracts.EVENT_TYPES))
def test_the_view_of_every_type_holds_no_identifier_name_birth_date_or_free_text(
    event_type: str,
) -> None:
    body = example_event(event_type)
    if "child" in body:
        body["child"] = CHILD
    if event_type.startswith("identity."):
        body["payload"]["other"] = {**CHILD, "ids": {"nhs_number": nhs_number(6)}}
    for name in privacy.FREE_TEXT | privacy.COMPARED:
        if name in body["payload"]:
            body["payload"][name] = f"FREE TEXT {name} Marchbanks"
    shown = orjson.dumps(privacy.view(body, DIGESTS))
    for value in (
        nhs_number(5),
        nhs_number(6),
        "LA-SECRET-55",
        "P-SECRET-55",
        "A123456789012",
        "Philippa",
        "Quennell",
        "2006-07-19",
        "Marchbanks",
        '"example"',  # source.system
    ):
        assert value.encode() not in shown, value
    view = orjson.loads(shown)
    assert view["event_id"] == body["event_id"] and view["occurred_at"] == body["occurred_at"]
    if "child" in body:
        assert view["child"] == {"born": "2006-07-01"}


def test_worker_role_is_a_keyed_digest_equal_for_equal_roles() -> None:
    one = privacy.view(example_event("allocation.opened", worker_role="Social worker"), DIGESTS)
    two = privacy.view(example_event("allocation.closed", worker_role="Social worker"), DIGESTS)
    other = privacy.view(
        example_event("allocation.closed", worker_role="Personal adviser"), DIGESTS
    )
    assert one["payload"]["worker_role"] == two["payload"]["worker_role"]
    assert one["payload"]["worker_role"] != other["payload"]["worker_role"]
    assert "Social" not in one["payload"]["worker_role"]


def test_a_correction_keeps_its_replacement_as_a_view() -> None:
    body = example_event(
        "record.corrected",
        target_event_id="6f1c2a52-7d43-4c55-9a39-0c8d3b1f6a10",
        replacement={"legal_status": "secret status", "uasc": True},
    )
    assert privacy.view(body, DIGESTS)["payload"] == {
        "target_event_id": "6f1c2a52-7d43-4c55-9a39-0c8d3b1f6a10",
        "replacement": {"uasc": True},
    }


def test_the_month_of_birth_gives_the_age_band_the_date_gave() -> None:
    months = [dt.date(year, month, 1) for year in range(2019, 2025) for month in range(1, 13)]
    last_days = [day_number(_last_day(m)) for m in months]
    born = dt.date(2000, 1, 1)
    while born < dt.date(2013, 1, 1):
        coarse = day_number(dt.date.fromisoformat(privacy.coarse_born(born.isoformat())))
        for on in last_days:
            if (born.month, born.day) == (2, 29) and on % 10000 == 228:
                continue  # the one residual: a leap-day birthday in a non-leap February
            assert age_band(coarse, on) == age_band(day_number(born), on), (born, on)
        born += dt.timedelta(days=1)


def _last_day(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def test_seal_and_original_body_round_trip_and_identity_sides_are_sealed_apart() -> None:
    keyring = MemoryKeyring()
    body = example_event(
        "identity.linked", child=CHILD, other={"ids": {"nhs_number": nhs_number(6)}}
    )
    fact = FactRecorded(
        originator_id=UUID(body["event_id"]),
        originator_version=1,
        timestamp=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        agency=body["source"]["agency"],
        event_type=body["event_type"],
        event_id=body["event_id"],
        body=body,
        child_id="child-a",
        joined_child_ids=[],
        other_child_id="child-b",
        stream_seq=1,
    )
    sealed = privacy.seal_fact(fact, keyring, DIGESTS)
    assert [part["k"] for part in sealed.sealed] == ["child-a", "child-b"]
    assert sealed.body_digest == DIGESTS.body(body)
    assert privacy.original_body(sealed, keyring) == body
    keyring.shred(["child-b"])  # the other side erased: its identifiers are gone
    kept = privacy.original_body(sealed, keyring)
    assert kept is not None and "other" not in kept["payload"]
    keyring.shred(["child-a"])
    assert privacy.original_body(sealed, keyring) is None
