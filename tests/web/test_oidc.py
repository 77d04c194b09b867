"""Sign-in through a council's OpenID Connect provider: which claims name which hub user (unit),
and the whole authorization-code flow against a fake issuer on loopback (a small Starlette app
that signs ID tokens with its own RSA key), through authlib as configured by the hub."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hub.adapters.embedded_nats import free_port
from hub.entrypoints.web.oidc import candidate_names, configured
from hub.entrypoints.web.server import WebServer
from hub.errors import ConfigurationError
from tests.web.conftest import make_hub

CLIENT_ID = "safeguarding-hub"


def test_the_preferred_username_then_a_verified_email_name_the_user() -> None:
    assert candidate_names({"preferred_username": "fiona", "email": "f@council.gov.uk"}) == [
        "fiona"
    ]  # an e-mail address the provider does not say it verified names no one
    assert candidate_names({"email": "f@council.gov.uk", "email_verified": True}) == [
        "f@council.gov.uk"
    ]
    assert candidate_names({"email": "f@council.gov.uk", "email_verified": False}) == []
    assert candidate_names({"preferred_username": " ", "sub": "123", "groups": ["admin"]}) == []
    assert candidate_names({"preferred_username": 7, "email": ["x"]}) == []


def test_oidc_is_all_three_settings_or_none(tmp_path: Path) -> None:
    assert configured(None, None, None) is False
    assert configured("https://idp", "hub", tmp_path) is True
    with pytest.raises(ConfigurationError, match="HUB_OIDC_CLIENT_SECRET_FILE"):
        configured("https://idp", "hub", None)


class FakeIssuer:
    """Just enough of a provider: discovery, authorize (always the configured person), token,
    and its keys."""

    def __init__(self) -> None:
        from authlib.jose import JsonWebKey

        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.claims: dict[str, Any] = {}
        self.codes: dict[str, str] = {}  # code -> nonce
        self.url = ""
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        assert query["client_id"] == CLIENT_ID and "openid" in query["scope"].split()
        code = secrets.token_urlsafe(8)
        self.codes[code] = query["nonce"]
        back = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", status_code=302)

    async def token(self, request: Request) -> Response:
        from authlib.jose import jwt

        form = await request.form()
        nonce = self.codes.pop(str(form["code"]))
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.claims,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key).decode()
        return JSONResponse(
            {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(is_private=False)]})


@pytest.fixture
def issuer() -> Iterator[FakeIssuer]:
    fake = FakeIssuer()
    server = WebServer(fake.app, "127.0.0.1", free_port())  # type: ignore[arg-type]
    ready = threading.Event()

    async def run() -> None:
        fake.url = await server.start()
        ready.set()
        await server.wait()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(30)
    yield fake
    server.stop()
    thread.join(10)


def _council_sign_in(client: Any) -> Any:
    start = client.get("/signin/oidc", follow_redirects=False)
    assert start.status_code == 302
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/signin/oidc/callback" and "code" in parse_qs(back.query)
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_a_council_sign_in_opens_a_session_for_an_existing_user_only(
    issuer: FakeIssuer, tmp_path: Path
) -> None:
    secret = tmp_path / "client-secret"
    secret.write_text("s3cret\n")
    hub = make_hub(
        tmp_path,
        oidc_issuer=issuer.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret,
    )
    assert "Sign in with your council account" in hub.client().get("/signin").text

    issuer.claims = {"preferred_username": "fiona", "groups": ["admin"]}
    client = hub.client()
    done = _council_sign_in(client)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert client.get("/foi").status_code == 200  # fiona's role, not the provider's groups
    assert client.get("/users").status_code == 403

    issuer.claims = {"preferred_username": "stranger", "email": "s@council.gov.uk"}
    refused = _council_sign_in(hub.client())
    assert refused.status_code == 403 and "has no user of that name" in refused.text

    entries = hub.api("audrey").get("/api/v1/audit").json()["entries"]
    sign_ins = [(e["user"], e["outcome"]) for e in entries if e["action"] == "sign-in"]
    assert sign_ins == [("fiona", "ok"), ("stranger", "failed")]
    assert all(e["what"]["how"] == "oidc" for e in entries if e["action"] == "sign-in")


def test_without_a_provider_there_is_no_council_sign_in(tmp_path: Path) -> None:
    hub = make_hub(tmp_path)
    assert hub.client().get("/signin/oidc").status_code == 404
    assert "council account" not in hub.client().get("/signin").text
