"""What every route shares, kept on the app (``app.state.web``): the services' workers, the
sessions, the sign-in limit, the metrics, the templates, and the cookie's rules."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.requests import Request

from hub.entrypoints.web.limits import SignInLimiter
from hub.entrypoints.web.metrics import Metrics
from hub.entrypoints.web.oidc import Oidc
from hub.entrypoints.web.sessions import Sessions
from hub.entrypoints.web.views import Views
from hub.entrypoints.web.workers import Workers


@dataclass(frozen=True)
class Cookies:
    """Session cookies are HttpOnly, SameSite=Lax, and Secure unless the request came over
    plain HTTP to a service listening on loopback (a developer's machine: a browser would not
    send a Secure cookie back over http://127.0.0.1). Behind a TLS-terminating proxy on the
    same host, uvicorn takes the scheme from its X-Forwarded-Proto, so they are Secure there.
    Secure cookies take the ``__Host-`` prefix, which a browser accepts only from a secure
    origin, for the whole host, with no Domain."""

    secure: bool

    @property
    def session(self) -> str:
        return "__Host-hub-session" if self.secure else "hub-session"

    @property
    def signin(self) -> str:
        """The sign-in form's own token, before there is a session (login CSRF)."""
        return "__Host-hub-signin" if self.secure else "hub-signin"


@dataclass
class Web:
    workers: Workers
    sessions: Sessions
    limiter: SignInLimiter
    metrics: Metrics
    views: Views
    oidc: Oidc | None
    loopback: bool  # the service listens on a loopback address only
    secret: bytes

    def cookies(self, request: Request) -> Cookies:
        return Cookies(secure=request.url.scheme == "https" or not self.loopback)


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
