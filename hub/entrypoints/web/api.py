"""The JSON API for scripts, at ``/api/v1/``, with a bearer token (``hub users token NAME``).

Each route makes one call to the read side, which checks the caller's role (403, recorded as
refused) and records the read in the audit. The answers are the services' own dicts: an FOI
answer here is the same JSON as ``hub foi --format json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from hub.entrypoints.web import params
from hub.entrypoints.web.auth import Script
from hub.entrypoints.web.state import web_of
from hub.entrypoints.web.workers import Services


class Json(Response):
    """The answer's dict as orjson writes it, as ``hub foi --format json`` does (no model to
    validate it against: the services' dicts are the interface, docs/statistics.md)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


router = APIRouter(
    prefix="/api/v1",
    tags=["hub"],
    default_response_class=Json,
    responses={
        401: {"description": 'no or bad token: {"error": ...}, WWW-Authenticate: Bearer'},
        403: {"description": 'outside the role: {"error": ...} (recorded in the audit)'},
    },
)


async def _read(request: Request, call: Callable[[Services], Any], status: int = 200) -> Json:
    return Json(await web_of(request).workers.run(call), status_code=status)


async def _pack(request: Request, call: Callable[[Services], Any]) -> Json:
    return Json(await web_of(request).workers.pack(call))


Month = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", examples=["2018-03"])]
Reference = Annotated[str, Path(max_length=64, examples=["FOI-2018-0412"])]
Threshold = Annotated[int, Query(ge=1, le=100, description="episodes for the repeat list")]
Window = Annotated[int, Query(ge=1, le=3660, description="days of the repeat list's window")]


class Publish(BaseModel):
    reference: str = Field(max_length=64, examples=["FOI-2018-0412"])
    statistic: str = Field(max_length=64, examples=["missing-children"])
    period: str = Field(max_length=64, examples=["2017/18"])
    as_of: str | None = Field(
        default=None,
        max_length=64,
        description="the records as they stood then; unset: as they stand now (frozen at the"
        " newest record's time)",
    )


@router.get("/me", summary="who the token speaks for")
async def me(user: Script) -> Json:
    return Json({"name": user.name, "role": user.role})


@router.get("/statistics", summary="the FOI statistics, with titles and definitions")
async def statistics(request: Request, user: Script) -> Json:
    return await _read(request, lambda s: s.reading.statistics())


@router.get("/foi/{statistic}", summary="an FOI statistic for a period (as hub foi --format json)")
async def foi(
    request: Request,
    user: Script,
    statistic: Annotated[str, Path(max_length=64)],
    period: Annotated[str, Query(max_length=64, examples=["2017/18"])],
    as_of: Annotated[str | None, Query(max_length=64)] = None,
    suppression: Annotated[str, Query(description="on, or off for raw figures")] = "on",
    by: Annotated[str | None, Query(max_length=16, description="a breakdown of the period")] = None,
) -> Json:
    suppress = params.suppression(suppression)
    return await _read(
        request,
        lambda s: s.reading.foi(user, statistic, period, as_of=as_of, suppress=suppress, by=by),
    )


@router.get("/forum/{month}", summary="the monthly forum pack (JSON)")
async def forum(
    request: Request,
    user: Script,
    month: Month,
    threshold: Threshold = 3,
    window_days: Window = 90,
) -> Json:
    return await _pack(
        request,
        lambda s: s.reading.forum(user, month, threshold=threshold, window_days=window_days),
    )


@router.get("/trends", summary="monthly trends with year-on-year change")
async def trends(
    request: Request,
    user: Script,
    first: Annotated[str, Query(alias="from", pattern=r"^\d{4}-\d{2}$")],
    last: Annotated[str, Query(alias="to", pattern=r"^\d{4}-\d{2}$")],
    threshold: Threshold = 3,
    window_days: Window = 90,
) -> Json:
    return await _pack(
        request,
        lambda s: s.reading.trends(user, first, last, threshold=threshold, window_days=window_days),
    )


@router.get("/reconcile", summary="council and police missing records that do not match")
async def reconcile(
    request: Request,
    user: Script,
    period: Annotated[str, Query(max_length=64)],
    as_of: Annotated[str | None, Query(max_length=64)] = None,
) -> Json:
    return await _pack(request, lambda s: s.reading.reconcile(user, period, as_of))


@router.get("/audit", summary="the audit of every read, and whether its hash chain is intact")
async def audit(
    request: Request,
    user: Script,
    since: Annotated[str | None, Query(max_length=40, description="a date or timestamp")] = None,
) -> Json:
    moment = params.since(since)
    return await _read(request, lambda s: s.reading.audit(user, moment))


@router.get("/published", summary="the register of published figures")
async def published(request: Request, user: Script) -> Json:
    return await _read(request, lambda s: s.reading.published(user))


@router.post("/published", status_code=201, summary="publish an answer against a reference")
async def publish(request: Request, user: Script, body: Publish) -> Json:
    reference = params.reference(body.reference)
    return await _read(
        request,
        lambda s: s.reading.publish(user, reference, body.statistic, body.period, body.as_of),
        201,
    )


@router.get("/published/{reference}", summary="one publication, as published")
async def publication(request: Request, user: Script, reference: Reference) -> Json:
    return await _read(request, lambda s: s.reading.publication(user, reference))


@router.get(
    "/published/{reference}/reproduce",
    summary="recompute a publication as of its time; compare it, and the live figure",
)
async def reproduce(request: Request, user: Script, reference: Reference) -> Json:
    return await _pack(request, lambda s: s.reading.reproduce(user, reference))


@router.get("/agency/rejects", summary="your agency's refused messages, and why")
async def rejects(request: Request, user: Script) -> Json:
    return await _read(request, lambda s: s.reading.rejects(user))


@router.get("/agency/status", summary="what the hub holds of your agency's records")
async def agency_status(request: Request, user: Script) -> Json:
    return await _read(request, lambda s: s.reading.agency_status(user))
