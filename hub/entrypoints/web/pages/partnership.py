"""The forum's pages: the monthly pack (the printable page ``hub forum --format html`` writes)
and the trends, for the forum's members and analysts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

import projections
from hub.domain.people import Can
from hub.entrypoints.web.auth import Person, allow
from hub.entrypoints.web.headers import PRINTABLE_POLICY
from hub.entrypoints.web.state import web_of
from hub.entrypoints.web.views import LONDON

router = APIRouter(include_in_schema=False)
Threshold = Annotated[int, Query(ge=1, le=100)]
Window = Annotated[int, Query(ge=1, le=3660)]
_MONTH = re.compile(r"\d{4}-\d{2}")


@router.get("/forum")
async def forum_form(
    request: Request,
    caller: Person,
    month: Annotated[str, Query(max_length=7)] = "",
    threshold: Threshold = 3,
    window_days: Window = 90,
) -> Response:
    web = web_of(request)
    await allow(request, caller.user, Can.FORUM, "forum.form")
    if _MONTH.fullmatch(month):
        query = urlencode({"threshold": threshold, "window_days": window_days})
        return RedirectResponse(f"/forum/{month}?{query}", status_code=303)
    error = f"{month!r} is not a month: give it as YYYY-MM, e.g. 2018-03" if month else None
    return web.views.page(
        request,
        "forum.html",
        {
            "month": month or _last_month(),
            "threshold": threshold,
            "window_days": window_days,
            "error": error,
        },
        user=caller.user,
        csrf=caller.csrf,
        status=400 if error else 200,
    )


@router.get("/forum/{month}")
async def forum_pack(
    request: Request,
    caller: Person,
    month: str,
    threshold: Threshold = 3,
    window_days: Window = 90,
) -> Response:
    """The pack as its own page, to read or print: it carries its own styles and charts, so
    its policy allows inline styles (and still no script)."""
    web = web_of(request)
    html = await web.workers.pack(
        lambda s: s.reading.forum_page(
            caller.user, month, threshold=threshold, window_days=window_days
        )
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": PRINTABLE_POLICY})


@router.get("/trends")
async def trends(
    request: Request,
    caller: Person,
    first: Annotated[str, Query(alias="from", max_length=7)] = "",
    last: Annotated[str, Query(alias="to", max_length=7)] = "",
    threshold: Threshold = 3,
    window_days: Window = 90,
) -> Response:
    web = web_of(request)
    user = caller.user
    await allow(request, user, Can.TRENDS, "trends.form")
    data: dict[str, Any] | None = None
    error = None
    if first or last:
        try:
            data = await web.workers.pack(
                lambda s: s.reading.trends(
                    user, first, last, threshold=threshold, window_days=window_days
                )
            )
        except projections.BadArgument as problem:
            error = str(problem)
    else:
        first, last = projections.year_ending(_last_month())
    return web.views.page(
        request,
        "trends.html",
        {
            "first": first,
            "last": last,
            "threshold": threshold,
            "window_days": window_days,
            "data": data,
            "error": error,
        },
        user=user,
        csrf=caller.csrf,
        status=400 if error else 200,
    )


def _last_month() -> str:
    first_of_this = dt.datetime.now(LONDON).date().replace(day=1)
    return f"{first_of_this - dt.timedelta(days=1):%Y-%m}"
