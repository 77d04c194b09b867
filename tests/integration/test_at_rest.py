"""What is on disk after a hand-built history recorded through the hub's real intake: no NHS
number, name, UPN, council or police reference, date of birth or free-text value, in clear or
in any common encoding, in any file under the data folder (SQLite: the store, its WAL, the
projection) nor, on PostgreSQL, in any table's contents. And sealed facts still behave as
facts: a re-sent message is stored once, a changed body under the same event id is refused,
and corrections and retractions of sealed facts work."""

from __future__ import annotations

import base64
import codecs
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

import contracts
from contracts.examples import example_event, nhs_number, upn
from hub.config import Settings
from hub.domain import privacy
from hub.domain.intake import Inbound
from tests.history import History
from tests.support import postgres_schema

NHS = nhs_number(4242)
OTHER_NHS = nhs_number(4343)
UPN = upn(77341)
LA_ID = "LACHILD-77341"
POLICE_ID = "POLREF-55120"
OTHER_POLICE_ID = "POLREF-99812"
NAMES = ("Philippa", "Quennell", "Barnabus", "Ostrowski")
BORN = "2007-09-23"
FREE_TEXT = (
    "Interim care order Wexford",  # legal_status
    "Returned home Yarrowby",  # period ended reason
    "Kestrel Lodge Fothergill",  # provider
    "Leaving care personal adviser Quimby",  # worker_role
    "Robbery Thistlewaite",  # offence_group
    "Entered in error Grimsditch",  # retraction reason
    "CareFirst Vortigern",  # source.system
)
CHILD = {
    "ids": {"nhs_number": NHS, "la_child_id": LA_ID, "upn": UPN, "police_person_id": POLICE_ID},
    "given_name": NAMES[0],
    "family_name": NAMES[1],
    "date_of_birth": BORN,
    "sex": "female",
}
OTHER = {
    "ids": {"nhs_number": OTHER_NHS, "police_person_id": OTHER_POLICE_ID},
    "given_name": NAMES[2],
    "family_name": NAMES[3],
    "date_of_birth": "2008-02-14",
}


def encodings(value: str) -> set[bytes]:
    """The value and its common encodings (the research notes' list)."""
    forms = {value, value.upper(), value.lower()}
    if value.isdigit() and len(value) == 10:  # an NHS number, as often written
        forms.add(f"{value[:3]} {value[3:6]} {value[6:]}")
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # a date
        year, month, day = value.split("-")
        forms |= {f"{day}/{month}/{year}", f"{year}{month}{day}"}
    found: set[bytes] = set()
    for form in forms:
        raw = form.encode()
        found |= {
            raw,
            form.encode("utf-16-le"),
            form.encode("utf-16-be"),
            raw.hex().encode(),
            raw.hex().upper().encode(),
            orjson.dumps(form)[1:-1],
            form.encode("unicode_escape"),
            urllib.parse.quote(form).encode(),
            urllib.parse.quote_plus(form).encode(),
            codecs.encode(raw, "base64").strip(),
        }
        for offset in range(3):  # base64 at each alignment: the characters the value fixes
            encoded = base64.b64encode(b"\0" * offset + raw)
            start = -(-offset // 3) * 4 if offset else 0
            end = (offset + len(raw)) // 3 * 4
            if end - start >= 8:
                found.add(encoded[start:end])
    return found


NEEDLES = {
    value: encodings(value)
    for value in (NHS, OTHER_NHS, UPN, LA_ID, POLICE_ID, OTHER_POLICE_ID, BORN, *NAMES, *FREE_TEXT)
}


def _found(blob: bytes) -> list[str]:
    return [value for value, forms in NEEDLES.items() if any(form in blob for form in forms)]


def _event(event_type: str, **changes: Any) -> dict[str, Any]:
    body = example_event(event_type, occurred_at="2019-03-10T14:00:00+00:00", **changes)
    body["source"]["system"] = FREE_TEXT[6]
    return body


def _record(history: History) -> dict[str, Any]:
    """The hand-built history; returns what the checks need."""
    history.at("2019-03-11T09:00:00+00:00")
    started = _event("care.period_started", child=CHILD, legal_status=FREE_TEXT[0])
    placed = _event(
        "care.placement_started", child=CHILD, provider=FREE_TEXT[2], placement_ref="PL-9"
    )
    allocated = _event("allocation.opened", child=CHILD, worker_role=FREE_TEXT[3])
    missing = _event(
        "missing.reported", child=CHILD, episode_ref="EP-9", last_seen_at="2019-03-10T14:00:00Z"
    )
    crime = _event(
        "police.crime_linked", child=CHILD, episode_ref="EP-9", offence_group=FREE_TEXT[4]
    )
    linked = _event("identity.linked", child=CHILD, other=OTHER)
    ended = _event("care.period_ended", child=CHILD, reason=FREE_TEXT[1])
    history.record(started, placed, allocated, missing, crime, linked, ended)
    history.at("2019-03-12T09:00:00+00:00")
    corrected = history.correct(started, legal_status="C2 Wexford amended", uasc=True)
    history.record(
        {
            **_event("record.retracted", target_event_id=ended["event_id"], reason=FREE_TEXT[5]),
            "source": {"agency": "local_authority", "system": FREE_TEXT[6]},
        }
    )
    # A message that is refused, naming the child: kept sealed under the child's key.
    broken = {**_event("missing.found", child=CHILD), "payload": {"episode_ref": "EP-9"}}
    subject = contracts.subject_for("police", "missing.found")
    outcome = history.ingest.record([Inbound(subject, orjson.dumps(broken), 900)])
    assert len(outcome.rejections) == 1
    return {"started": started, "corrected": corrected, "missing": missing}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    urls = postgres_schema() if request.param == "postgres" else iter([None])
    for url in urls:
        yield Settings(data_dir=tmp_path / "hub", database_url=url)


def _table_contents(settings: Settings) -> bytes:
    options = settings.postgres_options()
    assert options is not None
    schema = options.pop("schema")
    out = bytearray()
    with psycopg.connect(**options) as connection:  # type: ignore[arg-type]
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
        assert {"hub_events", "hub_data_keys", "hub_rejections"} <= {t[0] for t in tables}
        for (table,) in tables:
            for row in connection.execute(f'SELECT * FROM "{schema}"."{table}"'):
                for value in row:
                    out += value if isinstance(value, bytes) else str(value).encode()
                    out += b"\n"
    return bytes(out)


def _files(settings: Settings) -> bytes:
    return b"".join(
        path.read_bytes() for path in sorted(settings.data_dir.rglob("*")) if path.is_file()
    )


def test_nothing_identifying_is_on_disk_in_any_encoding(settings: Settings) -> None:
    history = History(settings)
    recorded = _record(history)
    assert history.figures("missing-occasions", "2018/19")  # projected, so its file is there too
    store = history.store
    facts = list(store.facts.all())
    assert facts and all(fact.sealed for fact in facts)
    # The originals are all there, sealed, for subject access.
    bodies = [privacy.original_body(fact, store.keyring) for fact in facts]
    assert recorded["started"] in bodies
    assert any(b and b["payload"].get("other") == OTHER for b in bodies)
    [reject] = list(store.rejections.all())
    assert reject.raw_base64 == "" and reject.sealed and reject.named
    message = privacy.original_message(reject, store.keyring)
    assert message is not None and NHS.encode() in message
    history.store.close()
    history.feed.close()  # type: ignore[attr-defined]
    history.projection.close()
    files = _files(settings)
    assert files
    assert _found(files) == []
    if settings.database_url:
        assert _found(_table_contents(settings)) == []
    # The check itself finds them where they are (it is not blind).
    assert _found(orjson.dumps(CHILD)) and _found(base64.b64encode(b"x" + orjson.dumps(OTHER)))


def test_a_resent_message_is_stored_once_and_a_changed_body_is_refused(
    settings: Settings,
) -> None:
    history = History(settings)
    history.at("2019-03-11T09:00:00+00:00")
    body = _event("missing.reported", child=CHILD, episode_ref="EP-1")
    subject = contracts.subject_for("police", "missing.reported")
    first = history.ingest.record([Inbound(subject, orjson.dumps(body), 1)])
    again = history.ingest.record([Inbound(subject, orjson.dumps(body), 2)])
    assert (first.stored, again.stored, again.duplicates) == (1, 0, 1)
    # The same content with its keys in another order is the same message.
    reordered = orjson.dumps(dict(reversed(list(body.items()))))
    assert history.ingest.record([Inbound(subject, reordered, 3)]).duplicates == 1
    changed = {**body, "payload": {**body["payload"], "risk": "high"}}
    refused = history.ingest.record([Inbound(subject, orjson.dumps(changed), 4)])
    assert refused.stored == 0
    assert [r.reason for r in refused.rejections] == [
        "event_id is already recorded with different content; send record.corrected to"
        " change a record"
    ]
    assert history.store.facts.count() == 1
    history.store.close()
