"""``hub keys new`` and ``hub keys rotate``, and a store made before the keyring: its clear
pseudonym secret adopted, so its children keep their ids, and its clear facts still read."""

from __future__ import annotations

import base64
import datetime as dt
import sqlite3
import stat
from pathlib import Path
from uuid import UUID

import orjson
import pytest

import contracts
from contracts.examples import example_event, nhs_number
from hub.adapters.keyring import key_id, read_master_key
from hub.bootstrap import build_store, main
from hub.config import Settings
from hub.domain import privacy
from hub.domain.events import PSEUDONYM_KEY_ID, FactRecorded, KeyGenerated, Pseudonyms
from hub.domain.intake import Inbound
from hub.service.ingest import IngestService
from hub.service.queries import forum_key

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _record(settings: Settings, n: int = 3) -> None:
    store = build_store(settings)
    ingest = IngestService(store, "S", clock=lambda: NOW)
    bodies = [
        example_event("missing.reported", child={"ids": {"nhs_number": nhs_number(i)}})
        for i in range(1, n + 1)
    ]
    subject = contracts.subject_for("police", "missing.reported")
    ingest.record([Inbound(subject, orjson.dumps(b), i) for i, b in enumerate(bodies, 1)])
    store.close()


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def test_keys_new_makes_a_private_key_file_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "hub"))
    out = tmp_path / "secrets" / "master.key"
    assert main(["keys", "new", "--out", str(out)]) == 0
    assert len(read_master_key(out)) == 32
    assert stat.S_IMODE(out.stat().st_mode) == 0o400
    assert main(["keys", "new", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_rotation_rewraps_the_keys_and_leaves_every_fact_row_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path / "hub")
    _record(settings)
    facts_before = _rows(settings.sqlite_path, "stored_events")
    keys_before = _rows(settings.sqlite_path, "hub_data_keys")
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    new = tmp_path / "new.key"
    assert main(["keys", "new", "--out", str(new)]) == 0
    assert main(["keys", "rotate", "--new-key-file", str(new)]) == 0
    assert "4 data keys wrapped" in capsys.readouterr().out  # 3 children and the pseudonyms
    assert _rows(settings.sqlite_path, "stored_events") == facts_before
    keys_after = _rows(settings.sqlite_path, "hub_data_keys")
    assert [r[:2] for r in keys_after] == [r[:2] for r in keys_before]
    assert all(a[2] != b[2] for a, b in zip(keys_after, keys_before, strict=True))
    master = read_master_key(new)
    assert {r[3] for r in keys_after} == {key_id(master)}
    # The embedded default's file now holds the new key: the store opens and reads.
    assert read_master_key(settings.default_master_key, "x") == master
    store = build_store(settings)
    assert all(privacy.original_body(f, store.keyring) for f in store.facts.all())
    store.close()
    # The old key no longer opens the store: a clear error, not a traceback.
    old = tmp_path / "old.key"
    old.write_bytes(base64.b64encode(b"\1" * 32))
    monkeypatch.setenv("HUB_MASTER_KEY_FILE", str(old))
    assert main(["status"]) in (0, 2)  # status reads no sealed part
    assert main(["keys", "rotate", "--new-key-file", str(new)]) == 2
    assert "not the one the store's data keys" in capsys.readouterr().err


def test_a_store_made_before_the_keyring_keeps_its_pseudonyms_and_reads(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "hub")
    store = build_store(settings)
    legacy = b"\7" * 32
    store.keys.add_new(
        [
            KeyGenerated(
                originator_id=PSEUDONYM_KEY_ID,
                originator_version=1,
                timestamp=NOW,
                purpose="pseudonyms",
                secret_base64=base64.b64encode(legacy).decode(),
            )
        ]
    )
    old_body = example_event("missing.reported", child={"ids": {"nhs_number": nhs_number(1)}})
    child = str(Pseudonyms(legacy).child_id(f"nhs_number:{nhs_number(1)}"))
    store.facts.append(
        [
            FactRecorded(
                originator_id=UUID(old_body["event_id"]),
                originator_version=1,
                timestamp=NOW,
                agency="police",
                event_type="missing.reported",
                event_id=old_body["event_id"],
                body=old_body,
                child_id=child,
                joined_child_ids=[],
                other_child_id=None,
                stream_seq=1,
                other_joined_child_ids=[],
            )
        ]
    )
    key_before = forum_key(store)(b"root")
    ingest = IngestService(store, "S", clock=lambda: NOW)
    subject = contracts.subject_for("police", "missing.reported")
    again = ingest.record([Inbound(subject, orjson.dumps(old_body), 2)])
    assert again.duplicates == 1  # compared with the clear body
    new_body = example_event("missing.found", child={"ids": {"nhs_number": nhs_number(1)}})
    ingest.record(
        [Inbound(contracts.subject_for("police", "missing.found"), orjson.dumps(new_body), 3)]
    )
    facts = list(store.facts.all())
    assert [f.child_id for f in facts] == [child, child]  # the same pseudonym as before
    assert not facts[0].sealed and facts[1].sealed
    assert [privacy.original_body(f, store.keyring) for f in facts] == [old_body, new_body]
    assert forum_key(store)(b"root") == key_before
    store.close()
