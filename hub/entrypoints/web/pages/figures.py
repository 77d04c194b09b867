"""FOI answers and the register of published figures, for FOI officers (and analysts).

An answer is shown as the read side gives it; an officer may publish it against the request's
reference, frozen at the answer's own as-of time, so what is published is exactly what was on
the screen. Reproducing recomputes it as of that time and sets the live figure beside it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

import projections
from hub.domain.people import Can
from hub.entrypoints.web import params
from hub.entrypoints.web.auth import Person, Posted, allow
from hub.entrypoints.web.state import web_of
from hub.errors import InputError

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Query(max_length=64)]


@router.get("/foi")
async def foi(
    request: Request,
    caller: Person,
    statistic: Short = "",
    period: Short = "",
    as_of: Short = "",
    raw: Annotated[str, Query(max_length=3)] = "",
) -> Response:
    web = web_of(request)
    user = caller.user
    await allow(request, user, Can.FOI, "foi.page")
    statistics = await web.workers.run(lambda s: s.reading.statistics())
    asked = {"statistic": statistic, "period": period, "as_of": as_of, "raw": raw == "on"}
    result: dict[str, Any] | None = None
    error = None
    status = 200
    if statistic and period:
        suppress = raw != "on"
        try:
            result = await web.workers.run(
                lambda s: s.reading.foi(
                    user, statistic, period, as_of=as_of or None, suppress=suppress
                )
            )
        except (projections.BadArgument, InputError) as problem:
            error, status = str(problem), 400
    titles = {s["name"]: s["title"] for s in statistics}
    return web.views.page(
        request,
        "foi.html",
        {
            "statistics": statistics,
            "asked": asked,
            "answer": result,
            "title": titles.get(statistic, statistic),
            "error": error,
            "publishable": result is not None
            and user.can(Can.PUBLISH)
            and bool(result.get("suppression", {}).get("applied"))
            and "answers" not in result,
            "raw_allowed": user.can(Can.FOI_RAW),
        },
        user=user,
        csrf=caller.csrf,
        status=status,
    )


@router.post("/published")
async def publish(
    request: Request,
    caller: Posted,
    reference: Annotated[str, Form(max_length=200)],
    statistic: Annotated[str, Form(max_length=64)],
    period: Annotated[str, Form(max_length=64)],
    as_of: Annotated[str, Form(max_length=64)],
) -> Response:
    web = web_of(request)
    user = caller.user
    try:
        ref = params.reference(reference)
        await web.workers.run(lambda s: s.reading.publish(user, ref, statistic, period, as_of))
    except (projections.BadArgument, InputError) as problem:
        back = "/foi?" + urlencode({"statistic": statistic, "period": period, "as_of": as_of})
        return web.views.page(
            request,
            "error.html",
            {"status": 400, "message": str(problem), "back": back},
            user=user,
            csrf=caller.csrf,
            status=400,
        )
    return RedirectResponse(f"/published/{quote(ref)}", status_code=303)


@router.get("/published")
async def register(request: Request, caller: Person) -> Response:
    web = web_of(request)
    rows = await web.workers.run(lambda s: s.reading.published(caller.user))
    return web.views.page(
        request,
        "register.html",
        {"rows": sorted(rows, key=lambda r: str(r.get("published_at", "")), reverse=True)},
        user=caller.user,
        csrf=caller.csrf,
    )


@router.get("/published/{reference}")
async def publication(request: Request, caller: Person, reference: str) -> Response:
    web = web_of(request)
    shown = await web.workers.run(lambda s: s.reading.publication(caller.user, reference))
    titles = await _titles(request)
    return web.views.page(
        request,
        "publication.html",
        {"p": shown, "answer": shown.get("answer") or {}, "title": titles},
        user=caller.user,
        csrf=caller.csrf,
    )


@router.get("/published/{reference}/reproduce")
async def reproduce(request: Request, caller: Person, reference: str) -> Response:
    web = web_of(request)
    result = await web.workers.pack(lambda s: s.reading.reproduce(caller.user, reference))
    titles = await _titles(request)
    return web.views.page(
        request,
        "reproduce.html",
        {"r": result, "p": result.get("publication") or {}, "title": titles},
        user=caller.user,
        csrf=caller.csrf,
    )


async def _titles(request: Request) -> dict[str, str]:
    statistics = await web_of(request).workers.run(lambda s: s.reading.statistics())
    return {s["name"]: s["title"] for s in statistics}
