"""Run the ``hub`` command as a user does: a separate process, configured by environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import free_port
from tests.support import register_bus


class HubCommand:
    def __init__(self, data_dir: Path, **env: str) -> None:
        # Each hub serve's web service on a port of its own: never the default 8700, which
        # another test's hub (or a developer's) may hold.
        self.env = {
            **os.environ,
            "HUB_DATA_DIR": str(data_dir),
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_WEB_ADDR": f"127.0.0.1:{free_port()}",
            **env,
        }
        self.servers: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def json(self, *args: str) -> object:
        result = self.run(*args, "--format", "json")
        assert result.returncode == 0, result.stderr
        return orjson.loads(result.stdout)

    def serve(self, log: Path) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve"],
            env=self.env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        self.servers.append(process)
        return process

    def stop(self) -> None:
        for process in self.servers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def serving_url(command: HubCommand, server: subprocess.Popen[bytes], timeout: float = 60) -> str:
    """The NATS URL of the ``hub serve`` just started, once it has published it; its agencies'
    keys are registered, so the test helpers publish and read as each agency."""
    url_file = Path(command.env["HUB_DATA_DIR"]) / "nats.url"
    deadline = time.monotonic() + timeout
    while not url_file.exists():
        assert server.poll() is None, "hub serve exited at start"
        assert time.monotonic() < deadline, "hub serve did not start"
        time.sleep(0.1)
    url = url_file.read_text().strip()
    register_bus(url, Identities(url_file.parent / "credentials"))
    return url


@pytest.fixture
def hub_command(tmp_path: Path) -> Iterator[HubCommand]:
    command = HubCommand(tmp_path / "hub")
    yield command
    command.stop()
