"""For the operator's tools: ``/healthz`` for a supervisor or load balancer, ``/metrics`` for
Prometheus. Neither says anything about a child.

``/healthz`` needs no credentials: it says only whether ingest is flowing, in the words of
``hub status --check``. ``/metrics`` needs none from this machine when the service listens on
loopback only; otherwise it needs a bearer token of any user (a scraper's own account), since
ingest volumes and sign-in failures are the partnership's business.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from hub.entrypoints.web.auth import token_user
from hub.entrypoints.web.metrics import CONTENT_TYPE
from hub.entrypoints.web.state import client_address, is_loopback, web_of

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    problems = await web_of(request).workers.run(lambda s: s.probes.health())
    return JSONResponse({"problems": problems}, status_code=503 if problems else 200)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    web = web_of(request)
    if not (web.loopback and is_loopback(client_address(request))):
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        await token_user(request, token.strip() if scheme.lower() == "bearer" else None)
    body = await web.workers.run(lambda s: web.metrics.scrape(s.probes))
    return Response(body, media_type=CONTENT_TYPE)
