"""Adapters that need no server: the transcoder, ack-subject parsing, settings."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from nats.aio.msg import Msg

from hub.adapters.jetstream import delivery
from hub.adapters.transcoder import OrjsonTranscoder
from hub.config import Settings
from hub.errors import ConfigurationError

STATE = {
    "timestamp": dt.datetime(2018, 3, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    "amount": Decimal("12.50"),
    "body": {"nested": [{"at": dt.datetime(2010, 4, 6, tzinfo=dt.UTC)}], "n": 1, "s": "é"},
}


def _library_transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def test_orjson_transcoder_round_trips_datetimes_and_decimals() -> None:
    transcoder = OrjsonTranscoder()
    decoded = transcoder.decode(transcoder.encode(STATE))
    assert decoded == STATE
    assert decoded["timestamp"].utcoffset() == dt.timedelta(hours=1)


def test_orjson_transcoder_reads_and_writes_the_library_format() -> None:
    ours, library = OrjsonTranscoder(), _library_transcoder()
    assert library.decode(ours.encode(STATE)) == STATE
    assert ours.decode(library.encode(STATE)) == STATE


def test_orjson_transcoder_writes_uuids_as_strings() -> None:
    id = uuid.uuid4()
    assert OrjsonTranscoder().decode(OrjsonTranscoder().encode({"id": id})) == {"id": str(id)}


@pytest.mark.parametrize(
    "reply",
    [
        "$JS.ACK.SAFEGUARDING.hub.1.4217.4200.1763719200000000000.12",
        "$JS.ACK.hub-domain.ACCHASH.SAFEGUARDING.hub.3.4217.4200.1763719200000000000.12.tok",
    ],
)
def test_delivery_agrees_with_nats_py(reply: str) -> None:
    metadata = Msg(_client=None, subject="s", reply=reply).metadata  # type: ignore[arg-type]
    assert delivery(reply) == (metadata.sequence.stream, metadata.num_delivered)
    assert delivery(reply)[0] == 4217


def test_sqlite_is_the_default_store_under_the_data_dir(tmp_path: Path) -> None:
    env = Settings(data_dir=tmp_path / "d").store_env()
    assert env["HUB_PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["HUB_SQLITE_DBNAME"] == str(tmp_path / "d" / "hub.sqlite")
    assert (tmp_path / "d").is_dir()


def test_postgres_url_becomes_the_library_settings() -> None:
    env = Settings(
        database_url="postgresql://hub:s%40fe@db.local:6543/records?schema=hub"
    ).store_env()
    assert (
        env["HUB_POSTGRES_HOST"],
        env["HUB_POSTGRES_PORT"],
        env["HUB_POSTGRES_DBNAME"],
        env["HUB_POSTGRES_USER"],
        env["HUB_POSTGRES_PASSWORD"],
        env["HUB_POSTGRES_SCHEMA"],
    ) == ("db.local", "6543", "records", "hub", "s@fe", "hub")


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host"])
def test_a_malformed_database_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="HUB_DATABASE_URL"):
        Settings(database_url=url).store_env()


def test_settings_come_from_hub_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_BATCH_SIZE", "250")
    monkeypatch.setenv("HUB_NATS_URL", "nats://127.0.0.1:4222")
    settings = Settings()
    assert (settings.batch_size, settings.nats_url) == (250, "nats://127.0.0.1:4222")
