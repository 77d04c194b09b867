"""An agency's data team: what the hub refused of its messages, and what it holds of its
records (counts only: nothing of any child)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hub.entrypoints.web.auth import Person
from hub.entrypoints.web.state import web_of

router = APIRouter(include_in_schema=False)


@router.get("/agency")
async def agency(request: Request, caller: Person) -> Response:
    web = web_of(request)
    user = caller.user
    status = await web.workers.run(lambda s: s.reading.agency_status(user))
    rejects = await web.workers.run(lambda s: s.reading.rejects(user))
    return web.views.page(
        request,
        "agency.html",
        {"status": status, "rejects": rejects},
        user=user,
        csrf=caller.csrf,
    )
