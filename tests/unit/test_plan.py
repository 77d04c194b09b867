"""The planner's decisions as typed actions, against a ledger in memory (and one in SQLite).

Expected ids and digests are derived here by hand from the scheme ``agencies._plan`` and
``agencies._ledger`` document, so a change to any of them (which would make a re-import send
new ids, or an existing ledger compare differently) fails.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import sqlite3
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import orjson
import pytest

import agencies
from agencies._errors import LedgerRefused
from agencies._ledger import Entry, Ledger, LedgerKeys, SourceLedger
from agencies._outgoing import Outgoing
from agencies._plan import Action, Correct, Planner, Publish, Retract

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
FMT = agencies.lookup("health", "concerns")
HEAD = "concern_ref,nhs_number,raised_at,setting,concern\n"
HC1 = "HC-1,9990000018,2018-07-01 10:00,ED,CSE"
HC2 = "HC-2,9990000034,2018-08-01,GP,INJURY"
IDS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/agency-imports/")


def _id(*parts: str) -> str:
    return str(uuid5(IDS, "\x1f".join(("health/concerns", *parts))))


def _digest(canonical_json: bytes) -> str:
    return hashlib.sha256(canonical_json).hexdigest()[:32]


SECRET = bytes(range(32))
KEYS = LedgerKeys(SECRET)


def _keyed(label: str, value: str) -> str:
    """HMAC-SHA-256 under the ledger's digest subkey, of a label and the value."""
    subkey = hmac.new(SECRET, b"import-ledger mac", hashlib.sha256).digest()
    message = label.encode() + b"\x00" + value.encode()
    return hmac.new(subkey, message, hashlib.sha256).hexdigest()[:32]


def _ref(key: str) -> str:
    return _keyed("head", key.split("\x1f", 1)[0]) + _keyed("key", key)


def _ledger() -> SourceLedger:
    return SourceLedger({}, {}, KEYS)


RAISED = _keyed("role", "raised")
HC1_ID = _id("HC-1", "raised", "0")
HC2_ID = _id("HC-2", "raised", "0")
HC1_AT = "2018-07-01T10:00:00+01:00"  # a naive time is London's: BST in July
HC2_AT = "2018-08-01T00:00:00+01:00"  # a date alone is its London midnight
# The ledger keeps each digest keyed: an unkeyed one of an NHS number could be reversed.
HC1_UNKEYED_ENVELOPE = _digest(
    b'["health.concern_raised","2018-07-01T10:00:00+01:00",{"nhs_number":"9990000018"}]'
)
HC1_UNKEYED_PAYLOAD = _digest(b'{"concern":"cse","setting":"emergency_department"}')
HC1_ENVELOPE = _keyed("digest", HC1_UNKEYED_ENVELOPE)
HC1_PAYLOAD = _keyed("digest", HC1_UNKEYED_PAYLOAD)
HC1_INJURY = _digest(b'{"concern":"injury","setting":"emergency_department"}')  # in the id
HC1_INJURY_KEPT = _keyed("digest", HC1_INJURY)


def _planned(
    ledger: SourceLedger, tmp_path: Path, *rows: str, snapshot: bool = False
) -> tuple[Planner, list[Action]]:
    """One import of a file of ``rows`` as ``hub import`` plans it, and every action taken."""
    path = tmp_path / "concerns.csv"
    path.write_text(HEAD + "".join(row + "\n" for row in rows))
    planner = Planner(FMT, ledger, NOW)
    actions: list[Action] = []
    for item in FMT.items(path, planner.context):
        actions += planner.add(item)
    planner.finish()
    if snapshot:
        actions += planner.retract_missing()
    assert planner.refusals == []
    assert len(planner.messages) == len(actions) == planner.counts.events
    return planner, actions


def _bodies(planner: Planner) -> list[dict[str, object]]:
    return [orjson.loads(message.body) for message in planner.messages]


def test_a_new_record_is_published(tmp_path: Path) -> None:
    ledger = _ledger()
    planner, actions = _planned(ledger, tmp_path, HC1, HC2)

    assert [type(action) for action in actions] == [Publish, Publish]
    first = actions[0]
    assert isinstance(first, Publish)
    assert (first.key, first.role, first.revision) == ("HC-1", "raised", 0)
    assert (first.envelope_digest, first.payload_digest) == (HC1_ENVELOPE, HC1_PAYLOAD)
    assert first.draft.payload == {"setting": "emergency_department", "concern": "cse"}
    assert [message.msg_id for message in planner.messages] == [HC1_ID, HC2_ID]
    assert planner.messages[0].subject == "safeguarding.v1.health.health.concern_raised"
    assert _bodies(planner)[1] == {
        "event_id": HC2_ID,
        "event_type": "health.concern_raised",
        "schema_version": 1,
        "source": {"agency": "health", "system": "health safeguarding concerns export"},
        "occurred_at": HC2_AT,
        "child": {"ids": {"nhs_number": "9990000034"}},
        "payload": {"setting": "gp", "concern": "injury"},
    }
    # Kept by digests of the record's key and role only.
    assert ledger.entries[_ref("HC-1")] == {
        RAISED: Entry(HC1_ID, HC1_AT, HC1_ENVELOPE, HC1_PAYLOAD, 0, True)
    }
    assert set(ledger.entries) == {_ref("HC-1"), _ref("HC-2")}
    assert (planner.counts.published, planner.counts.unchanged) == (2, 0)


def test_a_changed_payload_is_corrected_under_the_first_events_id(tmp_path: Path) -> None:
    ledger = _ledger()
    _planned(ledger, tmp_path, HC1, HC2)
    planner, actions = _planned(ledger, tmp_path, HC1.replace("CSE", "INJURY"), HC2)

    [correct] = actions
    assert isinstance(correct, Correct)
    assert (correct.key, correct.role, correct.revision) == ("HC-1", "raised", 1)
    assert correct.target.event_id == HC1_ID and correct.payload_digest == HC1_INJURY_KEPT
    [message] = planner.messages
    assert isinstance(message, Outgoing)
    assert message.subject == "safeguarding.v1.health.record.corrected"
    assert message.msg_id == _id("HC-1", "raised", "corrected", "1", HC1_INJURY)
    body = orjson.loads(message.body)
    # Stamped with the corrected fact's time, and carrying the whole new payload.
    assert body["event_type"] == "record.corrected" and body["occurred_at"] == HC1_AT
    assert "child" not in body
    assert body["payload"] == {
        "target_event_id": HC1_ID,
        "replacement": {"setting": "emergency_department", "concern": "injury"},
    }
    # The fact keeps its id and time; its payload digest and revision move on.
    assert ledger.entry("HC-1", "raised") == Entry(
        HC1_ID, HC1_AT, HC1_ENVELOPE, HC1_INJURY_KEPT, 1, True
    )
    counts = planner.counts
    assert (counts.corrected, counts.unchanged, counts.corrections) == (1, 1, 1)


def test_a_changed_time_retracts_the_fact_and_publishes_its_next_revision(
    tmp_path: Path,
) -> None:
    ledger = _ledger()
    _planned(ledger, tmp_path, HC1)
    planner, actions = _planned(ledger, tmp_path, HC1.replace("10:00", "11:00"))

    retract, publish = actions
    assert isinstance(retract, Retract) and isinstance(publish, Publish)
    assert retract.target.event_id == HC1_ID
    assert retract.reason == "replaced: its time or child changed"
    assert publish.revision == 1
    assert [m.msg_id for m in planner.messages] == [
        _id("retracted", HC1_ID),
        _id("HC-1", "raised", "1"),
    ]
    assert (retract.key, retract.role) == (_ref("HC-1"), RAISED)
    entry = ledger.entry("HC-1", "raised")
    assert entry is not None and entry.event_id == _id("HC-1", "raised", "1")


def test_a_record_gone_from_a_snapshot_is_retracted(tmp_path: Path) -> None:
    ledger = _ledger()
    _planned(ledger, tmp_path, HC1, HC2)
    planner, actions = _planned(ledger, tmp_path, HC1, snapshot=True)

    [retract] = actions
    assert isinstance(retract, Retract) and (retract.key, retract.role) == (_ref("HC-2"), RAISED)
    target = retract.target
    assert (target.event_id, target.occurred_at, target.live) == (HC2_ID, HC2_AT, True)
    assert retract.reason == "no longer in the agency's export"
    [message] = planner.messages
    assert message.subject == "safeguarding.v1.health.record.retracted"
    assert message.msg_id == _id("retracted", HC2_ID)
    body = orjson.loads(message.body)
    assert body["occurred_at"] == HC2_AT
    assert body["payload"] == {
        "target_event_id": HC2_ID,
        "reason": "no longer in the agency's export",
    }
    assert ledger.roles(_ref("HC-2"))[RAISED].live is False
    assert ledger.roles(_ref("HC-1"))[RAISED].live is True
    counts = planner.counts
    assert (counts.retracted, counts.retractions, counts.unchanged) == (1, 1, 1)

    # The same snapshot again retracts nothing more; the record back publishes it anew.
    assert _planned(ledger, tmp_path, HC1, snapshot=True)[1] == []
    _, back = _planned(ledger, tmp_path, HC1, HC2)
    [again] = back
    assert isinstance(again, Publish) and (again.key, again.revision) == ("HC-2", 1)


def test_the_same_file_again_plans_nothing(tmp_path: Path) -> None:
    ledger = _ledger()
    _planned(ledger, tmp_path, HC1, HC2)
    before = copy.deepcopy(ledger.entries)
    planner, actions = _planned(ledger, tmp_path, HC1, HC2, snapshot=True)

    assert actions == [] and planner.messages == []
    assert ledger.entries == before
    counts = planner.counts
    assert (counts.unchanged, counts.published, counts.corrected, counts.retracted) == (2, 0, 0, 0)


def test_the_sqlite_ledger_keeps_the_entries_and_the_outbox(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "imports.sqlite")
    try:
        with ledger.source(FMT.source) as source_ledger:
            first, _ = _planned(source_ledger, tmp_path, HC1, HC2)
            source_ledger.outbox = list(first.messages)
        # The outbox gives back the very messages planned, bytes and all, until sent.
        assert ledger.pending(FMT.source) == first.messages
        ledger.sent(FMT.source)
        assert ledger.pending(FMT.source) == []
    finally:
        ledger.close()

    reopened = Ledger(tmp_path / "imports.sqlite")
    try:
        with reopened.source(FMT.source) as source_ledger:
            assert source_ledger.roles(source_ledger.keys.ref("HC-1")) == {
                source_ledger.keys.role("raised"): Entry(
                    HC1_ID,
                    HC1_AT,
                    source_ledger.keys.digest(HC1_UNKEYED_ENVELOPE),
                    source_ledger.keys.digest(HC1_UNKEYED_PAYLOAD),
                    0,
                    True,
                )
            }
            assert _planned(source_ledger, tmp_path, HC1, HC2)[1] == []
            _, actions = _planned(source_ledger, tmp_path, HC1.replace("CSE", "INJURY"), HC2)
    finally:
        reopened.close()
    [correct] = actions
    assert isinstance(correct, Correct) and correct.target.event_id == HC1_ID


# -- the ledger on disk: keyed digests and sealed blobs only ---------------------------------


def _on_disk(path: Path) -> bytes:
    """Every byte SQLite keeps for the ledger: the file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


NHS = (b"9990000018", b"9990000034")


def test_the_ledger_keeps_no_identifier_and_its_outbox_only_until_sent(tmp_path: Path) -> None:
    path = tmp_path / "imports.sqlite"
    ledger = Ledger(path)
    try:
        with ledger.source(FMT.source) as source_ledger:
            first, _ = _planned(source_ledger, tmp_path, HC1, HC2)
            source_ledger.remember("HC-1", {"nhs": "9990000018", "born": "2009-02-03"})
            source_ledger.outbox = list(first.messages)
        [body] = ledger._db.execute("SELECT body FROM outbox WHERE seq = 0").fetchone()
        assert first.messages[0].body not in body and b"event_id" not in body
        assert not any(number in _on_disk(path) for number in NHS), "sealed while pending"
        assert ledger.pending(FMT.source) == first.messages
        ledger.sent(FMT.source)
        assert ledger._db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    finally:
        ledger.close()
    disk = _on_disk(path)
    for clear in (*NHS, b"HC-1", b"2009-02-03", b"raised", HC1_UNKEYED_ENVELOPE.encode()):
        assert clear not in disk and base64.b64encode(clear) not in disk, clear
    # Its key: a file of its own beside it, private, made at first use.
    key = tmp_path / "imports.sqlite.key"
    assert key.stat().st_mode & 0o777 == 0o600 and path.stat().st_mode & 0o077 == 0
    assert len(base64.b64decode(key.read_bytes())) == 32

    reopened = Ledger(path)
    try:
        with reopened.source(FMT.source) as source_ledger:
            assert source_ledger.states == {"HC-1": {"nhs": "9990000018", "born": "2009-02-03"}}
            assert _planned(source_ledger, tmp_path, HC1, HC2)[1] == []
    finally:
        reopened.close()


def test_a_ledger_without_its_own_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "imports.sqlite"
    Ledger(path).close()
    key = tmp_path / "imports.sqlite.key"
    kept = key.read_bytes()
    key.write_bytes(base64.b64encode(bytes(32)) + b"\n")
    with pytest.raises(LedgerRefused, match=r"is not the key the import ledger .* was sealed with"):
        Ledger(path)
    key.unlink()
    with pytest.raises(LedgerRefused, match=r"imports.sqlite.key, which is missing: restore"):
        Ledger(path)
    key.write_bytes(kept)
    Ledger(path).close()


def _written_in_clear(path: Path) -> None:
    """A ledger as the version before sealing wrote it (format 1): the planned HC-1 and HC-2,
    an HC-1 state, and HC-1's message still in the outbox."""
    hc2_envelope = _digest(
        orjson.dumps(
            ["health.concern_raised", HC2_AT, {"nhs_number": "9990000034"}],
            option=orjson.OPT_SORT_KEYS,
        )
    )
    hc2_payload = _digest(b'{"concern":"injury","setting":"gp"}')
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        "CREATE TABLE published (source TEXT, key TEXT, role TEXT, event_id TEXT,"
        " occurred_at TEXT, envelope TEXT, payload TEXT, revision INT, live INT,"
        " PRIMARY KEY (source, key, role)) WITHOUT ROWID;"
        "CREATE TABLE records (source TEXT, key TEXT, state BLOB,"
        " PRIMARY KEY (source, key)) WITHOUT ROWID;"
        "CREATE TABLE imports (source TEXT, file TEXT, finished_at TEXT,"
        " snapshot INT, summary BLOB);"
        "CREATE TABLE outbox (source TEXT, seq INT, subject TEXT, event_id TEXT,"
        " body BLOB, PRIMARY KEY (source, seq)) WITHOUT ROWID;"
    )
    source = FMT.source
    db.executemany(
        "INSERT INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (source, "HC-1", "raised", HC1_ID, HC1_AT, HC1_UNKEYED_ENVELOPE,
             HC1_UNKEYED_PAYLOAD, 0, 1),
            (source, "HC-2", "raised", HC2_ID, HC2_AT, hc2_envelope, hc2_payload, 0, 1),
        ],
    )  # fmt: skip
    db.execute(
        "INSERT INTO records VALUES (?, ?, ?)",
        (source, "HC-1", orjson.dumps({"nhs": "9990000018"})),
    )
    db.execute(
        "INSERT INTO outbox VALUES (?, ?, ?, ?, ?)",
        (source, 0, "safeguarding.v1.health.health.concern_raised", HC1_ID, LEGACY_BODY),
    )
    db.commit()
    db.close()


LEGACY_BODY = orjson.dumps(
    {
        "event_id": HC1_ID,
        "event_type": "health.concern_raised",
        "child": {"ids": {"nhs_number": "9990000018"}},
    }
)


def test_a_ledger_written_in_clear_is_sealed_in_place_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "imports.sqlite"
    _written_in_clear(path)
    assert NHS[0] in _on_disk(path)
    ledger = Ledger(path)
    try:
        assert not any(clear in _on_disk(path) for clear in (*NHS, b"HC-1"))
        # Its outbox is still sent first, byte for byte.
        [message] = ledger.pending(FMT.source)
        assert (message.msg_id, message.body) == (HC1_ID, LEGACY_BODY)
        ledger.sent(FMT.source)
        with ledger.source(FMT.source) as source_ledger:
            assert source_ledger.states == {"HC-1": {"nhs": "9990000018"}}
            # The same file again publishes nothing; a change corrects the fact it published.
            assert _planned(source_ledger, tmp_path, HC1, HC2)[1] == []
            _, actions = _planned(source_ledger, tmp_path, HC1.replace("CSE", "INJURY"), HC2)
    finally:
        ledger.close()
    [correct] = actions
    assert isinstance(correct, Correct) and correct.target.event_id == HC1_ID
    assert not any(clear in _on_disk(path) for clear in NHS)
