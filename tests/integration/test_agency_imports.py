"""Agency exports imported end to end: CSV → adapter → real nats-server → the hub's store."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import agencies
import projections
from agencies import _importer
from agencies._ledger import Ledger
from agencies._outgoing import Outgoing
from hub.adapters.embedded_nats import EmbeddedNats
from hub.bootstrap import build_feed
from hub.config import Settings
from hub.domain.privacy import original_body
from tests.support import Store, bus, eventually, running_hub

EXAMPLES = Path(agencies.__file__).parent

HEADER = (
    "incident_ref,person_id,nhs_number,reported_at,last_seen_at,missing_from,risk,"
    "risk_graded_at,classification,found_at,found_by,found_location\n"
)


class Importer:
    """``hub import`` as a test calls it: one ledger, the test's NATS server."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.ledger = folder / "imports.sqlite"

    async def __call__(
        self, agency: str, kind: str, path: Path, *, snapshot: bool = False
    ) -> agencies.ImportReport:
        return await agencies.import_file(
            bus(self.url, agency), self.ledger, agency, kind, path, snapshot=snapshot
        )


def _by_type(store: Store) -> Counter[str]:
    return Counter(fact.event_type for fact in store.facts())


def _bodies(store: Store) -> list[dict[str, Any]]:
    """Each stored fact's body as its agency sent it (the store keeps it sealed)."""
    keyring = store.store.keyring
    return [original_body(fact, keyring) or {} for fact in store.facts()]


def _facts(store: Store, event_type: str) -> list[dict[str, Any]]:
    return [body for body in _bodies(store) if body["event_type"] == event_type]


async def _settled(store: Store, stored: int) -> None:
    await eventually(lambda: store.stored() >= stored)
    assert store.status()["rejected"] == 0, store.rejects()
    assert store.stored() == stored


def identifiers_in(messages: Iterable[Outgoing]) -> set[str]:
    """Every child's identifier, name and date of birth the messages carry."""
    found: set[str] = set()
    for message in messages:
        event = orjson.loads(message.body)
        for child in (event.get("child"), event["payload"].get("other")):
            if not isinstance(child, dict):
                continue
            found.update(child.get("ids", {}).values())
            found.update(str(child[k]) for k in ("given_name", "family_name") if k in child)
            if "date_of_birth" in child:
                born = dt.date.fromisoformat(child["date_of_birth"])
                found.update({born.isoformat(), born.strftime("%d/%m/%Y")})
    return found


def _encodings(value: str) -> Iterator[bytes]:
    """The value as the ledger could hold it: in clear, and in base64 at each of its three
    alignments. (A value of under five characters could be found by chance in sealed bytes
    or SQLite's own: those are not looked for.)"""
    raw = value.encode()
    if len(raw) < 5:
        return
    yield raw
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        yield encoded[(8 * offset + 5) // 6 : (8 * (offset + len(raw))) // 6]


# Runs of characters an identifier or its base64 is made of; and runs of hex digits (the
# ledger's digests and event ids, side by side in a row), in which a number would be found by
# chance, taken out first.
_TEXT = re.compile(rb"[0-9A-Za-z+/=_.:' \-]{5,}")
_HEX = re.compile(rb"[0-9a-f\-]{32,}")


def readable(ledger: Path, identifiers: Iterable[str]) -> list[str]:
    """The identifiers found in the ledger's bytes (its file and write-ahead log)."""
    held = b"".join(
        path.read_bytes()
        for path in (ledger, ledger.with_name(ledger.name + "-wal"))
        if path.exists()
    )
    text = b"\n".join(set(_TEXT.findall(_HEX.sub(b"\n", held))))
    return sorted(v for v in identifiers if any(form in text for form in _encodings(v)))


def _write(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows))
    return path


async def test_every_example_imports_and_a_second_import_sends_nothing(
    settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    sent = 0
    async with running_hub(settings, nats_server.url) as store:
        for fmt in agencies.formats().values():
            report = await imported(fmt.agency, fmt.kind, fmt.example_path())
            assert report.refusals == (), [str(r) for r in report.refusals]
            assert report.counts.published > 0, fmt.source
            sent += report.counts.events
        await _settled(store, sent)
        types = _by_type(store)
        again = [
            await imported(fmt.agency, fmt.kind, fmt.example_path())
            for fmt in agencies.formats().values()
        ]
        assert sum(r.counts.events for r in again) == 0
        assert all(r.counts.published == r.counts.corrected == 0 for r in again)
        assert all(r.counts.unchanged > 0 for r in again)
        assert store.stored() == sent

    # Five incidents, four found; the SSDA903's six episodes make three care periods, of
    # which one ended (REC E17), five placement starts and four ends (X1 then a move).
    assert types["missing.reported"] == 5 and types["missing.found"] == 4
    assert types["care.period_started"] == 3 and types["care.period_ended"] == 1
    assert types["care.placement_started"] == 5 and types["care.placement_ended"] == 3
    assert types["care.uasc_status_changed"] == 1
    assert types["identity.linked"] == 2  # the Header's UPN, and the police link
    assert types["return_interview.completed"] == 1 and types["return_interview.declined"] == 1
    [uasc] = [
        f["payload"]["uasc"]
        for f in _facts(store, "care.period_started")
        if f["child"]["ids"]["la_child_id"] == "C1004"
    ]
    assert uasc is True
    [home] = [
        f["payload"]
        for f in _facts(store, "care.placement_started")
        if f["payload"]["placement_type"] == "childrens_home"
        and f["occurred_at"].startswith("2017")
    ]
    assert home == {
        "placement_ref": "SC482913",
        "placement_type": "childrens_home",
        "provider": "private provision",
        "postcode_district": "LE3",
    }
    # A local time in the October hour that happens twice is its first (BST) occurrence.
    assert any(
        f["occurred_at"] == "2017-10-29T01:30:00+01:00" for f in _facts(store, "missing.reported")
    )


async def test_the_ledger_keeps_no_childs_identifier_readable(
    sqlite_settings: Settings,
    nats_server: EmbeddedNats,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[Outgoing] = []
    send = _importer._send

    async def recorded(bus: Any, agency: str, messages: list[Outgoing]) -> None:
        sent.extend(messages)
        await send(bus, agency, messages)

    monkeypatch.setattr(_importer, "_send", recorded)
    imported = Importer(nats_server.url, tmp_path)
    async with running_hub(sqlite_settings, nats_server.url) as store:
        for fmt in agencies.formats().values():
            await imported(fmt.agency, fmt.kind, fmt.example_path())
        again = [
            await imported(fmt.agency, fmt.kind, fmt.example_path())
            for fmt in agencies.formats().values()
        ]
        await _settled(store, len(sent))
    identifiers = identifiers_in(sent)
    # NHS numbers, council and police ids, UPNs, dates of birth: all there to be found.
    assert {"9990000018", "C1001", "P-1001", "C999000000001", "2003-03-14"} <= identifiers
    assert readable(imported.ledger, identifiers) == []
    assert sum(r.counts.events for r in again) == 0
    with sqlite3.connect(imported.ledger) as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


async def test_imported_records_answer_the_statistics(
    sqlite_settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    async with running_hub(sqlite_settings, nats_server.url) as store:
        sent = 0
        for agency, kind in (
            ("police", "missing-incidents"),
            ("local_authority", "ssda903"),
            ("local_authority", "allocations"),
            ("local_authority", "identity-links"),
        ):
            fmt = agencies.lookup(agency, kind)
            sent += (await imported(agency, kind, fmt.example_path())).counts.events
        await _settled(store, sent)
    projection = projections.ProjectionStore(tmp_path / "p.sqlite")
    projections.catch_up(build_feed(sqlite_settings), projection)
    answer = projections.answer(
        projection, "missing-children", projections.parse_period("2017"), suppress=False
    )
    figures = {name: cell["value"] for name, cell in answer["figures"].items()}
    # Three children went missing in 2017. P-1001 is the council's C1001 (the allocations
    # export gives C1001's NHS number, which the police record has) and was in a children's
    # home; P-1002 has no NHS number, and is C1002 in foster care by the council's link.
    assert figures["total"] == 3
    assert figures["looked_after"] == 2
    assert figures["open_allocation"] == 2


ROW = "MP-1,P-9,9990000018,2018-03-24 22:00,2018-03-24 20:00,HOME,{risk},{graded},{cls},{found}"
NOT_FOUND = ",,"
FOUND = "2018-03-25 09:00,POLICE,OTHER"


def _row(
    risk: str = "MEDIUM", graded: str = "", cls: str = "MISSING", found: str = NOT_FOUND
) -> str:
    return ROW.format(risk=risk, graded=graded, cls=cls, found=found)


async def test_a_progressing_incident_becomes_the_right_sequence_of_events(
    settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    export = tmp_path / "incidents.csv"
    async with running_hub(settings, nats_server.url) as store:
        first = await imported("police", "missing-incidents", _write(export, _row()))
        # The next morning's export: regraded overnight; then found; then a correction.
        regraded = await imported(
            "police",
            "missing-incidents",
            _write(export, _row(risk="HIGH", graded="2018-03-25 01:00")),
        )
        found = await imported(
            "police",
            "missing-incidents",
            _write(export, _row(risk="HIGH", graded="2018-03-25 01:00", found=FOUND)),
        )
        corrected = await imported(
            "police",
            "missing-incidents",
            _write(export, _row(risk="HIGH", graded="2018-03-25 01:00", cls="ABSENT", found=FOUND)),
        )
        await _settled(store, 4)
        facts = store.facts()
        bodies = _bodies(store)

    assert (first.counts.published, regraded.counts.progressed, found.counts.progressed) == (
        1,
        1,
        1,
    )
    assert (corrected.counts.corrected, corrected.counts.corrections) == (1, 1)
    assert [fact.event_type for fact in facts] == [
        "missing.reported",
        "missing.risk_regraded",
        "missing.found",
        "record.corrected",
    ]
    reported, regrade, _, correction = bodies
    assert reported["payload"]["risk"] == "medium", "the report keeps the risk at report"
    assert regrade["payload"] == {"episode_ref": "MP-1", "risk": "high"}
    assert regrade["occurred_at"] == "2018-03-25T01:00:00+00:00"  # GMT: BST begins that day
    assert correction["payload"]["target_event_id"] == reported["event_id"]
    assert correction["payload"]["replacement"]["classification"] == "absent"
    assert correction["payload"]["replacement"]["risk"] == "medium"


async def test_a_changed_time_retracts_the_fact_and_publishes_it_again(
    sqlite_settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    export = tmp_path / "incidents.csv"
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await imported("police", "missing-incidents", _write(export, _row()))
        moved = _row().replace("2018-03-24 22:00", "2018-03-24 21:00")
        report = await imported("police", "missing-incidents", _write(export, moved))
        await _settled(store, 3)
        bodies = _bodies(store)
    assert report.counts.corrected == 1 and report.counts.retractions == 1
    old, retraction, new = bodies
    assert retraction["payload"]["target_event_id"] == old["event_id"]
    assert new["occurred_at"] == "2018-03-24T21:00:00+00:00"
    assert new["event_id"] != old["event_id"]


async def test_a_snapshot_retracts_a_record_that_disappeared(
    settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    export = tmp_path / "incidents.csv"
    other = _row(found=FOUND).replace("MP-1,", "MP-2,")
    async with running_hub(settings, nats_server.url) as store:
        await imported("police", "missing-incidents", _write(export, _row(), other))
        partial = await imported("police", "missing-incidents", _write(export, _row()))
        assert partial.counts.events == 0, "without --snapshot a missing row is not a retraction"
        snapshot = await imported(
            "police", "missing-incidents", _write(export, _row()), snapshot=True
        )
        again = await imported("police", "missing-incidents", export, snapshot=True)
        await _settled(store, 3 + 2)
        retracted = {f["payload"]["target_event_id"] for f in _facts(store, "record.retracted")}
        mp2 = {
            body["event_id"]
            for body in _bodies(store)
            if body["payload"].get("episode_ref") == "MP-2"
        }
    assert (snapshot.counts.retracted, snapshot.counts.unchanged, again.counts.events) == (1, 1, 0)
    assert retracted == mp2 and len(mp2) == 2  # its report and its find


async def test_bad_rows_are_refused_with_where_and_why_and_good_rows_land(
    sqlite_settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    rows = [
        _row(),  # line 2: good
        _row().replace("MP-1,", "MP-2,").replace("2018-03-24 22:00", "24th March"),
        _row().replace("MP-1,", "MP-3,").replace("HOME", "SHED"),
        _row().replace("MP-1,P-9,", "MP-4,,"),
        _row().replace("MP-1,", "MP-5,").replace("9990000018", "9990000019"),
        _row().replace("MP-1,", "MP-6,"),  # line 7: good
        _row(),  # line 8: MP-1 again
        _row().replace("MP-1,", "MP-9,") + ",extra",
    ]
    async with running_hub(sqlite_settings, nats_server.url) as store:
        report = await imported("police", "missing-incidents", _write(tmp_path / "bad.csv", *rows))
        await _settled(store, 2)
        stored = {f["payload"]["episode_ref"] for f in _facts(store, "missing.reported")}
    assert stored == {"MP-1", "MP-6"}
    assert (report.counts.published, report.counts.refused) == (2, 6)
    assert [str(r) for r in report.refusals] == [
        "bad.csv:3: column 4 (reported_at): is not a date or a date and time (DD/MM/YYYY"
        " [HH:MM], or YYYY-MM-DD [HH:MM[:SS]], with an optional offset such as +01:00)",
        "bad.csv:4: column 6 (missing_from): is not one of the codes HOME, PLACEMENT, SCHOOL,"
        " OTHER",
        "bad.csv:5: column 2 (person_id): is empty; it is required",
        "bad.csv:6: column 3 (nhs_number): is not a valid NHS number (10 digits, Modulus 11 check)",
        "bad.csv:8: is the same record as line 2",
        "bad.csv:9: has more cells than the header has columns",
    ]
    assert not any("9990000019" in str(r) or "SHED" in str(r) for r in report.refusals)


async def test_a_file_that_cannot_be_read_publishes_nothing(
    sqlite_settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    export = tmp_path / "incidents.csv"
    export.write_text("incident_ref,person_id\nMP-1,P-9\n")
    with pytest.raises(agencies.FileRefused, match="has no column reported_at, last_seen_at"):
        await imported("police", "missing-incidents", export)
    with pytest.raises(agencies.UnknownFormat, match="kinds: cse-concerns, disruptions"):
        await imported("police", "crimes", export)
    folder = tmp_path / "903"
    shutil.copytree(EXAMPLES / "local_authority" / "examples" / "ssda903", folder)
    (folder / "Episodes.csv").unlink()
    with pytest.raises(agencies.FileRefused, match=r"has no Episodes table"):
        await imported("local_authority", "ssda903", folder)


async def test_an_import_killed_after_publishing_is_completed_by_the_next(
    sqlite_settings: Settings,
    nats_server: EmbeddedNats,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imported = Importer(nats_server.url, tmp_path)
    export = tmp_path / "incidents.csv"
    async with running_hub(sqlite_settings, nats_server.url) as store:
        await imported("police", "missing-incidents", _write(export, _row()))
        # Killed after JetStream's acks, before the outbox was cleared: the next import of the
        # source re-sends it byte for byte (the same ids), then plans its own file.
        with monkeypatch.context() as patch:
            patch.setattr(Ledger, "sent", lambda self, source: None)
            first = await imported(
                "police",
                "missing-incidents",
                _write(export, _row(risk="HIGH", graded="2018-03-25 01:00", found=FOUND)),
            )
        # Left in the outbox, the two messages are sealed there.
        with sqlite3.connect(imported.ledger) as db:
            bodies = [bytes(b) for (b,) in db.execute("SELECT body FROM outbox ORDER BY seq")]
        assert len(bodies) == 2 and not any(b"9990000018" in body for body in bodies)
        assert readable(imported.ledger, ["9990000018", "P-9"]) == []
        again = await imported("police", "missing-incidents", export)
        with sqlite3.connect(imported.ledger) as db:
            assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        await _settled(store, 3)
        await asyncio.sleep(0.3)  # had the re-sent copies been stored, they would be by now
        assert store.stored() == 3 and store.status()["rejected"] == 0
    assert first.counts.events == again.resent == 2 and again.counts.events == 0


async def test_a_failed_import_is_sent_before_the_next_file_is_read(
    sqlite_settings: Settings, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    export = tmp_path / "incidents.csv"
    async with running_hub(sqlite_settings, nats_server.url) as store:
        with pytest.raises(agencies.PublishFailed, match="the next `hub import` of this kind"):
            await Importer("nats://127.0.0.1:1", tmp_path)(
                "police", "missing-incidents", _write(export, _row())
            )
        # The export changed before the retry: the failed import's report goes first, then
        # the correction the new file needs, so the hub and the ledger agree.
        report = await Importer(nats_server.url, tmp_path)(
            "police", "missing-incidents", _write(export, _row(cls="ABSENT"))
        )
        await _settled(store, 2)
        reported, correction = _bodies(store)
    assert report.resent == 1 and report.counts.corrections == 1
    assert reported["payload"]["classification"] == "missing"
    assert correction["payload"]["target_event_id"] == reported["event_id"]
    assert correction["payload"]["replacement"]["classification"] == "absent"


async def test_an_import_that_is_not_acknowledged_saves_nothing(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    export = _write(tmp_path / "incidents.csv", _row())
    # A nats-server with no stream for the hub's subjects: nothing can be acknowledged.
    with (
        EmbeddedNats(tmp_path / "bare") as bare,
        pytest.raises(agencies.PublishFailed, match="`hub serve` creates it at start"),
    ):
        await Importer(bare.url, tmp_path)("police", "missing-incidents", export)
    with EmbeddedNats(tmp_path / "served") as served:
        async with running_hub(sqlite_settings, served.url) as store:
            report = await Importer(served.url, tmp_path)("police", "missing-incidents", export)
            await _settled(store, 1)
    assert report.resent == 1 and report.counts.unchanged == 1, "sent by the next import"
