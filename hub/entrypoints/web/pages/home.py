"""The start page: what the signed-in person's role lets them do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hub.entrypoints.web.auth import Person
from hub.entrypoints.web.state import web_of

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, caller: Person) -> Response:
    return web_of(request).views.page(request, "home.html", user=caller.user, csrf=caller.csrf)
