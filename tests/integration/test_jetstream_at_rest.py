"""JetStream's files at rest, with a real nats-server: encrypted with the hub's key (an existing
plaintext stream too, at the next start), a new key taking over from the previous one, and the
streams kept no longer than the hub needs them. A server that cannot read the files (the wrong
key) shows no stream: the hub refuses to make an empty one over them, at start and while it
serves, and says why; a stream deleted through the API is re-created as before."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contracts.examples import example_event
from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import EmbeddedNats, jetstream_key
from hub.adapters.jetstream import StreamUnreadable, declare_streams, notices_stream
from hub.adapters.keeper import StreamKeeper
from hub.config import Settings
from hub.errors import ConfigurationError
from hub.service import health
from tests.support import connect, hub_login, publish, register_bus

KEY_A = "k" + "a1" * 32
KEY_B = "k" + "b2" * 32
NHS = b"9990000018"  # in every example event


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The embedded server's folder is the settings' nats_dir, as under hub serve.
    return Settings(data_dir=tmp_path, ack_wait=2.0, target_retries=1, writer="thread")


@contextmanager
def server(
    settings: Settings, key: str | None, previous: str | None = None
) -> Iterator[EmbeddedNats]:
    identities = Identities(settings.credentials_dir)
    with EmbeddedNats(
        settings.nats_dir, identities=identities, key=key, previous_key=previous
    ) as nats_server:
        register_bus(nats_server.url, identities)
        yield nats_server


def _files(settings: Settings) -> list[Path]:
    return [p for p in settings.nats_dir.joinpath("jetstream").rglob("*") if p.is_file()]


def _in_clear(settings: Settings) -> list[Path]:
    return [p for p in _files(settings) if NHS in p.read_bytes()]


async def _messages(url: str, settings: Settings) -> int:
    client = await connect(url)
    try:
        return (await client.jetstream().stream_info(settings.stream)).state.messages
    finally:
        await client.close()


async def _publish_two(settings: Settings, key: str | None) -> None:
    with server(settings, key) as nats_server:
        await declare_streams(nats_server.url, settings, hub_login(nats_server.url))
        await publish(nats_server.url, example_event("missing.reported"))
        await publish(nats_server.url, example_event("missing.reported"))


async def test_the_files_are_encrypted_and_read_again_with_the_same_key(
    settings: Settings,
) -> None:
    await _publish_two(settings, KEY_A)
    assert _files(settings) and _in_clear(settings) == []
    assert KEY_A not in (settings.nats_dir / "nats.conf").read_text()
    with server(settings, KEY_A) as nats_server:
        assert await _messages(nats_server.url, settings) == 2


async def test_a_plaintext_stream_is_encrypted_at_the_first_start_with_a_key(
    settings: Settings,
) -> None:
    await _publish_two(settings, None)
    assert _in_clear(settings), "the example's NHS number is in the plaintext block"
    with server(settings, KEY_A) as nats_server:
        assert await _messages(nats_server.url, settings) == 2
    assert _in_clear(settings) == []
    assert "Encrypting stream" in (settings.nats_dir / "nats-server.log").read_text()


async def test_a_new_key_takes_over_given_the_previous_one(settings: Settings) -> None:
    await _publish_two(settings, KEY_A)
    with server(settings, KEY_B, previous=KEY_A) as nats_server:
        assert await _messages(nats_server.url, settings) == 2
    with server(settings, KEY_B) as nats_server:  # the old key no longer needed
        assert await _messages(nats_server.url, settings) == 2
    assert _in_clear(settings) == []


async def test_with_the_wrong_key_the_hub_makes_no_empty_stream_over_the_files(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="hub.nats")
    await _publish_two(settings, KEY_A)
    with server(settings, KEY_B) as nats_server:
        url = nats_server.url
        # At start: a configuration error naming the likely cause, not an empty stream.
        with pytest.raises(ConfigurationError, match="JetStream key") as refused:
            await declare_streams(url, settings, hub_login(url))
        assert settings.stream in str(refused.value) and NHS.decode() not in str(refused.value)
        # While serving: the keeper does not re-create it either; it says so once, and it is
        # a health problem (hub status --check, /healthz).
        keeper = StreamKeeper(url, settings, hub_login(url))
        try:
            for _ in range(2):
                with pytest.raises(StreamUnreadable):
                    await keeper.check()
        finally:
            await keeper.close()
        assert keeper.recreated == 0 and keeper.unreadable is not None
        said = [r.getMessage() for r in caplog.records if r.name == "hub.nats"]
        assert len(said) == 1 and "JetStream key" in said[0], said
        report = health.Report(
            pid=1, started_at=0, updated_at=0, nats_connected=True, nats_lost_since=None,
            nats_outages=0, consumer_pending=None, consumer_ack_pending=None,
            streams_recreated=0, streams_unreadable=keeper.unreadable,
        )  # fmt: skip
        [problem] = health.problems(report, running=True, now=1)
        assert "streams cannot be read" in problem and "JetStream key" in problem
    with server(settings, KEY_A) as nats_server:  # the right key: nothing was lost
        assert await _messages(nats_server.url, settings) == 2


async def test_a_stream_deleted_through_the_api_leaves_no_files_and_is_recreated(
    settings: Settings,
) -> None:
    await _publish_two(settings, KEY_A)
    with server(settings, KEY_A) as nats_server:
        url = nats_server.url
        client = await connect(url)
        try:
            await client.jetstream().delete_stream(settings.stream)
        finally:
            await client.close()
        keeper = StreamKeeper(url, settings, hub_login(url))
        try:
            await keeper.check()
        finally:
            await keeper.close()
        assert keeper.recreated == 2 and keeper.unreadable is None  # the stream and consumer
        assert await _messages(url, settings) == 0


async def test_each_stream_keeps_messages_only_as_long_as_set(settings: Settings) -> None:
    with server(settings, KEY_A) as nats_server:
        url = nats_server.url
        await declare_streams(url, settings, hub_login(url))
        client = await connect(url)
        try:
            js = client.jetstream()
            events = (await js.stream_info(settings.stream)).config
            notices = (await js.stream_info(notices_stream(settings))).config
            assert (events.max_age, notices.max_age) == (7 * 86_400, 30 * 86_400)
            # A changed setting is applied to the existing streams at the next start.
            shorter = settings.model_copy(update={"stream_max_age": 86_400.0})
            await declare_streams(url, shorter, hub_login(url))
            assert (await js.stream_info(settings.stream)).config.max_age == 86_400
        finally:
            await client.close()


def test_a_max_age_shorter_than_the_hub_needs_is_refused() -> None:
    with pytest.raises(ValueError, match="redelivery window"):
        Settings(stream_max_age=60, duplicate_window=30, ack_wait=10, target_retries=12)
    with pytest.raises(ValueError, match="duplicate window"):
        Settings(stream_max_age=100, duplicate_window=120)
    with pytest.raises(ValueError, match="HUB_NOTICES_MAX_AGE"):
        Settings(notices_max_age=60)
    Settings(stream_max_age=130, ack_wait=10, target_retries=12)


def test_the_jetstream_key_is_made_once_private_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jetstream.key"
    key = jetstream_key(path)
    assert jetstream_key(path) == key and len(key) == 65
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o077 == 0
    path.write_text("1e5 not a key\n")
    with pytest.raises(ConfigurationError, match="letter"):
        jetstream_key(path)
    with pytest.raises(ConfigurationError, match="does not exist"):
        jetstream_key(tmp_path / "absent", make=False)
