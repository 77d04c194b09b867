"""The web service on a real SQLite store and projection, filled through the hub's intake as
``tests/history.py`` does, with one user of each role (password set, API token issued)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.adapters.embedded_nats import free_port
from hub.adapters.passwords import Argon2Hasher
from hub.bootstrap import build_read_side, build_web
from hub.config import Settings
from hub.entrypoints.web.server import WebServer
from hub.service.accounts import Accounts
from projections import catch_up
from tests.history import History, child, small_city

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
RECORDED = "2018-05-01T00:00:00+00:00"
"""When the hub recorded the city below (hub time)."""
PASSWORD = "correct horse battery staple"
ROLES = {
    "fiona": "foi_officer",
    "andy": "analyst",
    "fran": "forum",
    "audrey": "auditor",
    "ada": "admin",
    "pc": "agency:police",
}


def city(history: History) -> None:
    """Child 1 repeatedly missing from a children's home, with a health concern and a CSE case;
    children 2 and 3 once each; seven children missing in June 2017 and two absent (so in
    2017/18 the two absences are a small count, hidden, and the missing count with them)."""
    small_city(history)
    for i in range(7):
        history.episode(f"J{i}", "2017-06-01T10:00:00+00:00", child(10 + i))
    for i in range(2):
        history.episode(
            f"K{i}", "2017-06-02T10:00:00+00:00", child(20 + i), classification="absent"
        )


@dataclass
class Hub:
    settings: Settings
    history: History
    app: FastAPI
    accounts: Accounts
    tokens: dict[str, str] = field(default_factory=dict)

    def caught_up(self) -> None:
        catch_up(self.history.feed, self.history.projection)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1")

    def api(self, name: str) -> TestClient:
        client = self.client()
        client.headers["Authorization"] = f"Bearer {self.tokens[name]}"
        return client

    def signed_in(self, name: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        sign_in(client, name, password)
        return client


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"name": name, "password": password, "csrf": form_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def make_hub(root: Path, **options: Any) -> Hub:
    """A store holding ``city``, projected; the web app on it; a user of each role."""
    data = root / "hub"
    settings = Settings(
        data_dir=data,
        writer="thread",
        projection_path=data / "projection.sqlite",  # the one tests.history projects into
        web_addr="127.0.0.1:0",
        **options,
    )
    history = History(settings).at(RECORDED)
    city(history)
    catch_up(history.feed, history.projection)
    # Users are set up with cheap argon2 parameters (the hub's own, checked at sign-in, take a
    # fifth of a second a hash here); the first sign-in rehashes with the hub's.
    accounts = Accounts(build_read_side(settings).people, Argon2Hasher(CHEAP))
    hub = Hub(settings, history, build_web(settings), accounts)
    for name, role in ROLES.items():
        accounts.add(name, role)
        accounts.change_password(name, PASSWORD)
        hub.tokens[name] = accounts.issue_token(name)
    return hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    """One hub for a module's tests: they add to its audit and register, never remove."""
    return make_hub(tmp_path_factory.mktemp("web"))


@pytest.fixture
def own_hub(tmp_path: Path) -> Hub:
    """A hub of the test's own, for a test that tampers with it or disables its users."""
    return make_hub(tmp_path)


@dataclass
class Served:
    url: str
    hub: Hub


@pytest.fixture
def served(own_hub: Hub) -> Iterator[Served]:
    """The hub's web service in a real uvicorn, on a free loopback port, on a thread."""
    server = WebServer(own_hub.app, "127.0.0.1", free_port())
    ready = threading.Event()
    urls: list[str] = []

    async def run() -> None:
        urls.append(await server.start())
        ready.set()
        await server.wait()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(30), "the web service did not start"
    yield Served(urls[0], own_hub)
    server.stop()
    thread.join(10)
