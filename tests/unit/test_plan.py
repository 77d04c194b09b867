"""The planner's decisions as typed actions, against a ledger in memory (and one in SQLite).

Expected ids and digests are derived here by hand from the scheme ``agencies._plan``
documents, so a change to any of them (which would make a re-import send new ids) fails.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import orjson

import agencies
from agencies._ledger import Entry, Ledger, SourceLedger
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


HC1_ID = _id("HC-1", "raised", "0")
HC2_ID = _id("HC-2", "raised", "0")
HC1_AT = "2018-07-01T10:00:00+01:00"  # a naive time is London's: BST in July
HC2_AT = "2018-08-01T00:00:00+01:00"  # a date alone is its London midnight
HC1_ENVELOPE = _digest(
    b'["health.concern_raised","2018-07-01T10:00:00+01:00",{"nhs_number":"9990000018"}]'
)
HC1_PAYLOAD = _digest(b'{"concern":"cse","setting":"emergency_department"}')
HC1_INJURY = _digest(b'{"concern":"injury","setting":"emergency_department"}')


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
    ledger = SourceLedger({}, {})
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
    assert ledger.roles("HC-1") == {
        "raised": Entry(HC1_ID, HC1_AT, HC1_ENVELOPE, HC1_PAYLOAD, 0, True)
    }
    assert (planner.counts.published, planner.counts.unchanged) == (2, 0)


def test_a_changed_payload_is_corrected_under_the_first_events_id(tmp_path: Path) -> None:
    ledger = SourceLedger({}, {})
    _planned(ledger, tmp_path, HC1, HC2)
    planner, actions = _planned(ledger, tmp_path, HC1.replace("CSE", "INJURY"), HC2)

    [correct] = actions
    assert isinstance(correct, Correct)
    assert (correct.key, correct.role, correct.revision) == ("HC-1", "raised", 1)
    assert correct.target.event_id == HC1_ID and correct.payload_digest == HC1_INJURY
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
    assert ledger.roles("HC-1")["raised"] == Entry(
        HC1_ID, HC1_AT, HC1_ENVELOPE, HC1_INJURY, 1, True
    )
    counts = planner.counts
    assert (counts.corrected, counts.unchanged, counts.corrections) == (1, 1, 1)


def test_a_changed_time_retracts_the_fact_and_publishes_its_next_revision(
    tmp_path: Path,
) -> None:
    ledger = SourceLedger({}, {})
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
    assert ledger.roles("HC-1")["raised"].event_id == _id("HC-1", "raised", "1")


def test_a_record_gone_from_a_snapshot_is_retracted(tmp_path: Path) -> None:
    ledger = SourceLedger({}, {})
    _planned(ledger, tmp_path, HC1, HC2)
    planner, actions = _planned(ledger, tmp_path, HC1, snapshot=True)

    [retract] = actions
    assert isinstance(retract, Retract) and (retract.key, retract.role) == ("HC-2", "raised")
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
    assert ledger.roles("HC-2")["raised"].live is False
    assert ledger.roles("HC-1")["raised"].live is True
    counts = planner.counts
    assert (counts.retracted, counts.retractions, counts.unchanged) == (1, 1, 1)

    # The same snapshot again retracts nothing more; the record back publishes it anew.
    assert _planned(ledger, tmp_path, HC1, snapshot=True)[1] == []
    _, back = _planned(ledger, tmp_path, HC1, HC2)
    [again] = back
    assert isinstance(again, Publish) and (again.key, again.revision) == ("HC-2", 1)


def test_the_same_file_again_plans_nothing(tmp_path: Path) -> None:
    ledger = SourceLedger({}, {})
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
            assert source_ledger.roles("HC-1") == {
                "raised": Entry(HC1_ID, HC1_AT, HC1_ENVELOPE, HC1_PAYLOAD, 0, True)
            }
            assert _planned(source_ledger, tmp_path, HC1, HC2)[1] == []
            _, actions = _planned(source_ledger, tmp_path, HC1.replace("CSE", "INJURY"), HC2)
    finally:
        reopened.close()
    [correct] = actions
    assert isinstance(correct, Correct) and correct.target.event_id == HC1_ID
