"""The hub's web service: pages for people, a JSON API for scripts, ``/healthz``, ``/metrics``.

It is an entrypoint like the CLI: thin routes that make one call into the read side's
services (``hub.service.reading``, ``hub.service.accounts``), which check roles and audit every
read; it adds sign-in, sessions, CSRF, the sign-in limit, security headers and metrics.
``hub.bootstrap.build_web`` builds it; ``hub serve`` runs it beside ingest, ``hub web`` alone.
See docs/web.md.

    app.py        the app factory           auth.py      sessions, tokens, CSRF, roles
    api.py        /api/v1 (JSON)            pages/       the HTML pages, one module per part
    errors.py     errors -> status          headers.py   security headers
    metrics.py    /metrics' registry        observe.py   timing and the log line per request
    sessions.py   server-side sessions      limits.py    the sign-in limit
    oidc.py       council sign-in           server.py    uvicorn in the hub's loop
    follow.py     hub web's catch-up        secret.py    the cookie-signing key
"""

from __future__ import annotations

from hub.entrypoints.web.app import create_app
from hub.entrypoints.web.follow import keep_caught_up
from hub.entrypoints.web.metrics import Probes
from hub.entrypoints.web.oidc import Oidc, configured
from hub.entrypoints.web.secret import session_secret
from hub.entrypoints.web.server import Beside, WebServer, published_url, stop_requested
from hub.entrypoints.web.workers import Services

__all__ = [
    "Beside",
    "Oidc",
    "Probes",
    "Services",
    "WebServer",
    "configured",
    "create_app",
    "keep_caught_up",
    "published_url",
    "session_secret",
    "stop_requested",
]
