"""What ``hub serve`` leaves on disk: nothing readable by another user, even in a data folder
made before the hub kept its files private, and JetStream's files encrypted with a key that
is in no configuration file."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import orjson

from contracts.examples import example_event
from tests.e2e.conftest import HubCommand


def _wait_for(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_every_file_under_the_data_folder_is_its_owners_alone(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    data = tmp_path / "hub"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old = data / "left-by-an-older-hub.txt"  # a store made before this change
    old.write_text("x")
    old.chmod(0o644)
    events = [example_event("missing.reported", episode_ref=f"E{i}") for i in range(3)]
    jsonl = tmp_path / "police.jsonl"
    jsonl.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")

    hub_command.serve(tmp_path / "serve.log")
    _wait_for((data / "nats.url").exists)
    published = hub_command.run("publish", "--agency", "police", str(jsonl))
    assert published.returncode == 0, published.stderr
    _wait_for(lambda: hub_command.json("status").get("projected") == 3)  # type: ignore[attr-defined]
    assert hub_command.run("foi", "missing-occasions", "--period", "2017/18").returncode == 0

    paths = [data, *data.rglob("*")]
    loose = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in paths}
    loose = {path: mode for path, mode in loose.items() if int(mode, 8) & 0o077}
    assert loose == {}, loose
    assert any(p.name == "hub.sqlite-wal" for p in paths)  # the running store's files too

    # The embedded server's JetStream files are encrypted; its key is kept beside the store,
    # 0600, and reaches the server through its environment alone.
    key_file = data / "keys" / "jetstream.key"
    key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    conf = (data / "nats" / "nats.conf").read_text()
    assert "cipher: chachapoly" in conf and key not in conf
    blocks = [p for p in (data / "nats" / "jetstream").rglob("*") if p.is_file()]
    assert blocks and not any(b"9990000018" in p.read_bytes() for p in blocks)
    hub_command.stop()
