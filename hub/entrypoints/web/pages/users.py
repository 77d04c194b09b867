"""The administrator's page: the users, adding one (its one-time password is shown once, in
the answer to the form, never again), issuing a user's API token, and disabling a user.

Every action is recorded in the audit; so is every refusal. A disabled user's sessions end at
once and their token stops working.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from hub.domain.people import Can, role_names
from hub.entrypoints.web.auth import Caller, Person, Posted, allow, record
from hub.entrypoints.web.state import web_of
from hub.errors import InputError, NotFound

router = APIRouter(include_in_schema=False)


@router.get("/users")
async def users(request: Request, caller: Person) -> Response:
    await allow(request, caller.user, Can.USERS, "users.list")
    return await _page(request, caller)


async def _page(request: Request, caller: Caller, status: int = 200, **shown: Any) -> Response:
    web = web_of(request)
    people = await web.workers.run(lambda s: s.accounts.users())
    await record(request, caller.user, "users.list", {"rows": len(people)})
    return web.views.page(
        request,
        "users.html",
        {"people": people, "roles": role_names(), **shown},
        user=caller.user,
        csrf=caller.csrf,
        status=status,
    )


@router.post("/users")
async def add(
    request: Request,
    caller: Posted,
    name: Annotated[str, Form(max_length=128)],
    role: Annotated[str, Form(max_length=64)],
) -> Response:
    await allow(request, caller.user, Can.USERS, "users.add")
    web = web_of(request)
    name = name.strip()
    try:
        password = await web.workers.run(lambda s: s.accounts.add(name, role))
    except InputError as error:
        await record(request, caller.user, "users.add", {"name": name, "role": role}, "failed")
        return await _page(request, caller, 400, error=str(error))
    await record(request, caller.user, "users.add", {"name": name, "role": role})
    return await _page(request, caller, added={"name": name, "password": password})


@router.post("/users/{name}/token")
async def token(request: Request, caller: Posted, name: str) -> Response:
    await allow(request, caller.user, Can.USERS, "users.token")
    web = web_of(request)
    try:
        issued = await web.workers.run(lambda s: s.accounts.issue_token(name))
    except (InputError, NotFound) as error:
        await record(request, caller.user, "users.token", {"name": name}, "failed")
        return await _page(request, caller, 400, error=str(error))
    await record(request, caller.user, "users.token", {"name": name})
    return await _page(request, caller, token={"name": name, "token": issued})


@router.post("/users/{name}/disable")
async def disable(request: Request, caller: Posted, name: str) -> Response:
    await allow(request, caller.user, Can.USERS, "users.disable")
    web = web_of(request)
    if name == caller.user.name:
        return await _page(request, caller, 400, error="You cannot disable yourself.")
    try:
        await web.workers.run(lambda s: s.accounts.disable(name))
    except NotFound:
        await record(request, caller.user, "users.disable", {"name": name}, "failed")
        raise  # 404
    web.sessions.end_all(name)
    await record(request, caller.user, "users.disable", {"name": name})
    return RedirectResponse("/users", status_code=303)
