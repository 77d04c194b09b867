"""``hub web`` and ``hub serve`` as a user runs them: separate processes, configured by the
environment, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.adapters.embedded_nats import free_port
from hub.bootstrap import build_accounts
from hub.config import Settings
from tests.history import History, child


def _wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except (OSError, httpx.HTTPError):
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


class Hub:
    def __init__(self, tmp_path: Path) -> None:
        self.data = tmp_path / "hub"
        self.port = free_port()
        self.env = {
            **os.environ,
            "HUB_DATA_DIR": str(self.data),
            "HUB_WEB_ADDR": f"127.0.0.1:{self.port}",
            "HUB_LOG_LEVEL": "INFO",
            "HUB_WRITER": "thread",
        }
        self.log = tmp_path / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, command: str) -> subprocess.Popen[bytes]:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", command],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self.process

    @property
    def url(self) -> str:
        return _wait_for(lambda: (self.data / "web.url").read_text().strip())  # type: ignore[no-any-return]

    def stop(self, within: float) -> int:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=within + 10)
        assert time.monotonic() - started < within, "did not stop within its grace"
        return code


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = Hub(tmp_path)
    yield hub
    if hub.process is not None and hub.process.poll() is None:
        hub.process.kill()
        hub.process.wait()


def test_hub_web_alone_serves_and_keeps_the_projection_caught_up(hub: Hub) -> None:
    settings = Settings(data_dir=hub.data, writer="thread")
    history = History(settings).at("2018-05-01T00:00:00+00:00")
    for n in range(6):
        history.episode(f"E{n}", "2017-06-01T10:00:00+00:00", child(n + 1))
    accounts = build_accounts(settings)
    accounts.add("andy", "analyst")
    token = accounts.issue_token("andy")

    hub.start("web")
    url = hub.url
    assert url == f"http://127.0.0.1:{hub.port}"
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})

    def total() -> int | None:
        answer = api.get("/api/v1/foi/missing-occasions", params={"period": "2017/18"}).json()
        value: int | None = answer["figures"]["all.total"]["value"]
        return value

    assert _wait_for(lambda: total() == 6)  # caught up by hub web itself: no hub serve runs
    history.at("2018-06-01T00:00:00+00:00").episode("E9", "2017-07-01T10:00:00+00:00", child(9))
    assert _wait_for(lambda: total() == 7, timeout=10)

    health = httpx.get(f"{url}/healthz")
    assert health.status_code == 503  # ingest is not flowing: no hub serve
    assert "hub serve is not running" in health.json()["problems"][0]
    assert httpx.get(f"{url}/metrics").status_code == 200  # loopback: no token needed

    assert hub.stop(within=8) == 0
    assert not (hub.data / "web.url").exists()
    log = hub.log.read_text()
    assert "GET /api/v1/foi/{statistic} 200" in log
    assert "2017/18" not in log and "period=" not in log


def test_hub_serve_runs_the_web_service_and_stops_it_with_everything_else(hub: Hub) -> None:
    hub.start("serve")
    url = hub.url
    # /healthz is hub status --check's answer: healthy once the serving report is written.
    assert _wait_for(lambda: httpx.get(f"{url}/healthz").status_code == 200)
    metrics = httpx.get(f"{url}/metrics").text
    assert "hub_consumer_pending 0.0" in metrics and 'hub_up{part="serve"} 1.0' in metrics
    assert httpx.get(f"{url}/api/v1/published").status_code == 401

    assert hub.stop(within=15 + 5) == 0  # HUB_SHUTDOWN_GRACE, plus a few seconds
    assert not (hub.data / "web.url").exists()
    assert not (hub.data / "nats.url").exists()
    log = hub.log.read_text()
    assert f"web service on http://127.0.0.1:{hub.port}" in log
    assert "Traceback" not in log


def test_hub_serve_goes_on_without_the_web_when_its_address_is_taken(hub: Hub) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", hub.port))
        taken.listen()
        hub.start("serve")
        said = "the web service is not running: the web service cannot listen on"
        _wait_for(lambda: said in hub.log.read_text())
        assert (hub.data / "nats.url").exists()  # ingest goes on
        assert not (hub.data / "web.url").exists()
        assert hub.stop(within=20) == 0
