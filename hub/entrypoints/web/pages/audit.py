"""The auditor's page: every entry of the audit, newest first, under a banner saying whether
the hash chain is intact (an entry changed, removed or reordered in the database breaks it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

import projections
from hub.entrypoints.web import params
from hub.entrypoints.web.auth import Person
from hub.entrypoints.web.state import web_of

router = APIRouter(include_in_schema=False)
SHOWN = 500  # entries on one page; the API gives them all


@router.get("/audit")
async def audit(
    request: Request,
    caller: Person,
    since: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    web = web_of(request)
    error = None
    try:
        moment = params.since(since)
    except projections.BadArgument as problem:
        moment, error = None, str(problem)
    data = await web.workers.run(lambda s: s.reading.audit(caller.user, moment))
    entries = list(reversed(data.get("entries", [])))
    return web.views.page(
        request,
        "audit.html",
        {
            "entries": entries[:SHOWN],
            "total": len(entries),
            "chain": data.get("chain", {}),
            "since": since,
            "error": error,
        },
        user=caller.user,
        csrf=caller.csrf,
        status=400 if error else 200,
    )
