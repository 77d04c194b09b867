"""Sign-in through a council's OpenID Connect provider (authorization code flow, with authlib).

The provider says who the person is; the hub decides what they may do. A person signs in
only as a user the hub already has (``hub users add NAME``), where NAME is the provider's
``preferred_username`` or, failing that, a verified ``email``: nobody is created by signing
in, and the role is always the hub's. A provider's groups or roles are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hub.errors import ConfigurationError

PROVIDER = "council"


def candidate_names(claims: Mapping[str, Any]) -> list[str]:
    """The hub user names the provider's claims may stand for, most specific first.

    An ``email`` counts only when the provider says it is verified (``email_verified``
    true): an address the provider did not verify could be anyone's, and some providers
    leave the claim out altogether.
    """
    names: list[str] = []
    preferred = claims.get("preferred_username")
    if isinstance(preferred, str) and preferred.strip():
        names.append(preferred.strip())
    email = claims.get("email")
    if isinstance(email, str) and email.strip() and claims.get("email_verified") is True:
        names.append(email.strip())
    return list(dict.fromkeys(names))


class Oidc:
    def __init__(self, issuer: str, client_id: str, secret_file: Path) -> None:
        # authlib, and httpx under it, only when a provider is configured.
        from authlib.integrations.starlette_client import OAuth

        try:
            secret = secret_file.read_text().strip()
        except OSError as error:
            raise ConfigurationError(
                f"HUB_OIDC_CLIENT_SECRET_FILE {secret_file}: cannot be read"
                f" ({error.strerror or error})"
            ) from None
        self.oauth = OAuth()
        self.oauth.register(
            PROVIDER,
            client_id=client_id,
            client_secret=secret,
            server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid profile email"},
        )

    async def redirect(self, request: Request, callback: str) -> Response:
        client = self.oauth.create_client(PROVIDER)
        response: Response = await client.authorize_redirect(request, callback)
        return response

    async def claims(self, request: Request) -> dict[str, Any]:
        """The ID token's claims, checked (signature, issuer, audience, nonce, expiry)."""
        from authlib.integrations.base_client import OAuthError

        client = self.oauth.create_client(PROVIDER)
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as error:
            raise OidcRefused(error.error or "the provider refused the sign-in") from None
        userinfo = token.get("userinfo")
        if not isinstance(userinfo, Mapping):
            raise OidcRefused("the provider sent no ID token")
        return dict(userinfo)


class OidcRefused(Exception):
    """The provider's answer could not be used; the text is for the person signing in."""


def configured(issuer: str | None, client_id: str | None, secret_file: Path | None) -> bool:
    given = [issuer, client_id, secret_file]
    if any(given) and not all(given):
        raise ConfigurationError(
            "OpenID Connect needs all of HUB_OIDC_ISSUER, HUB_OIDC_CLIENT_ID and"
            " HUB_OIDC_CLIENT_SECRET_FILE"
        )
    return all(given)
