"""The web service's app factory: pages for people, the JSON API for scripts, ``/healthz`` and
``/metrics``, given the services it calls (``hub.bootstrap.build_web`` builds them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from hub.config import Settings
from hub.entrypoints.web import api, errors, ops
from hub.entrypoints.web.headers import SecurityHeaders
from hub.entrypoints.web.limits import SignInLimiter
from hub.entrypoints.web.metrics import Metrics
from hub.entrypoints.web.observe import Observe
from hub.entrypoints.web.oidc import Oidc
from hub.entrypoints.web.pages import agency, audit, figures, home, partnership, signin, users
from hub.entrypoints.web.sessions import Sessions
from hub.entrypoints.web.state import Web, is_loopback
from hub.entrypoints.web.views import HERE, Views
from hub.entrypoints.web.workers import THREADS, Services, Workers

API_DESCRIPTION = """\
The safeguarding hub's read side for scripts. Send `Authorization: Bearer <token>` (a token
from `hub users token NAME`). Every read is checked against the token's role and recorded in
the audit. Errors are `{"error": "..."}`: 401 without a valid token, 403 outside the role,
404 for an unknown reference, 400 or 422 for a bad argument, 503 when the store is down.
"""


def create_app(
    services: Services,
    settings: Settings,
    *,
    secret: bytes,
    oidc: Oidc | None = None,
    threads: int = THREADS,
) -> FastAPI:
    host, _ = settings.web_host_port
    loopback = is_loopback(host)
    workers = Workers(services, threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            workers.close()

    app = FastAPI(
        title="Safeguarding hub",
        version="1",
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the interactive docs load script from a CDN: not here
        redoc_url=None,
        lifespan=lifespan,
    )
    metrics = Metrics()
    app.state.web = Web(
        workers=workers,
        sessions=Sessions(
            secret,
            lifetime=settings.web_session_hours * 3600,
            idle=settings.web_idle_minutes * 60,
        ),
        limiter=SignInLimiter(),
        metrics=metrics,
        views=Views(),
        oidc=oidc,
        loopback=loopback,
        secret=secret,
    )
    errors.install(app)
    for module in (signin, home, figures, partnership, agency, audit, users):
        app.include_router(module.router)
    if oidc is not None:
        from starlette.middleware.sessions import SessionMiddleware

        app.include_router(signin.oidc_router)
        # authlib keeps the sign-in's state and nonce in Starlette's signed session cookie
        # for the round trip to the provider; the hub's own session is apart (sessions.py).
        app.add_middleware(
            SessionMiddleware,
            secret_key=secret.decode(),
            session_cookie="hub-oidc",
            max_age=600,
            same_site="lax",
            https_only=not loopback,
        )
    app.include_router(api.router)
    app.include_router(ops.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Outermost last: every response, a fault's included, gets the security headers.
    app.add_middleware(Observe, metrics=metrics)
    app.add_middleware(SecurityHeaders, loopback=loopback)
    return app
