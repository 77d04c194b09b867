"""Who is asking: a person's session (pages) or a script's bearer token (the API).

Pages take only the session cookie and the API only ``Authorization: Bearer``: so a form
post can only come with a session, and carries its CSRF token; and a cross-site request
cannot ride on a cookie into the API, which therefore needs none. The account is read again on
every request, so a disabled user's session and token stop working at their next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

import projections
from hub.domain.people import Can, User
from hub.entrypoints.web.sessions import Session, same_token
from hub.entrypoints.web.state import Web, web_of


class SignInNeeded(Exception):
    """No credentials, or ones that no longer work: 401 (API) or the sign-in page."""

    def __init__(self, why: str = "sign in first", *, bad_token: bool = False) -> None:
        super().__init__(why)
        self.bad_token = bad_token


class PasswordChangeNeeded(Exception):
    """Signed in with a one-time password: nothing but setting a new one until it is set."""


class FormRefused(Exception):
    """A form post without this session's CSRF token."""


@dataclass(frozen=True)
class Caller:
    user: User
    session: Session | None  # None: a bearer token

    @property
    def csrf(self) -> str | None:
        return self.session.csrf if self.session else None


async def _signed_in(request: Request) -> Caller:
    web = web_of(request)
    session = web.sessions.find(request.cookies.get(web.cookies(request).session))
    if session is None:
        raise SignInNeeded()
    user = await web.workers.run(lambda s: s.accounts.get(session.name))
    if user is None or user.disabled:
        web.sessions.end_all(session.name)
        raise SignInNeeded("your account is disabled")
    request.state.user = user  # for an error page's menu, and its sign-out form
    request.state.csrf = session.csrf
    return Caller(user, session)


async def person(request: Request) -> Caller:
    """A signed-in person who has set their own password (pages)."""
    caller = await _signed_in(request)
    assert caller.session is not None
    if caller.user.must_change_password and caller.session.how == "password":
        raise PasswordChangeNeeded()
    return caller


async def person_with_any_password(request: Request) -> Caller:
    """A signed-in person, one-time password or not: for setting a password, signing out."""
    return await _signed_in(request)


async def posted_by(request: Request, caller: Annotated[Caller, Depends(person)]) -> Caller:
    """A form post from a signed-in person, with this session's CSRF token."""
    await _check_form(request, caller)
    return caller


async def posted_with_any_password(
    request: Request, caller: Annotated[Caller, Depends(person_with_any_password)]
) -> Caller:
    await _check_form(request, caller)
    return caller


async def _check_form(request: Request, caller: Caller) -> None:
    form = await request.form()  # kept by the request: the route's Form() fields read it again
    given = form.get("csrf")
    assert caller.session is not None
    if not same_token(given if isinstance(given, str) else None, caller.session.csrf):
        await record(request, caller.user, "form", {"path": _route(request)}, "refused")
        raise FormRefused()


_bearer = HTTPBearer(auto_error=False, description="an API token from `hub users token NAME`")


async def script(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The API's caller, by ``Authorization: Bearer <token>``."""
    return await token_user(request, credentials.credentials if credentials else None)


async def token_user(request: Request, token: str | None) -> User:
    if not token:
        raise SignInNeeded("send an API token: Authorization: Bearer <token>")
    user = await web_of(request).workers.run(lambda s: s.accounts.by_token(token))
    if user is None or user.disabled:
        raise SignInNeeded(
            "the API token is not valid (revoked, replaced or disabled)", bad_token=True
        )
    request.state.user = user
    return user


async def record(
    request: Request, user: User, action: str, what: Mapping[str, Any], outcome: str = "ok"
) -> None:
    """Put what the web did for (or refused) a person in the audit."""
    web = web_of(request)
    await web.workers.run(lambda s: s.reading.record(user, action, what, outcome))


async def allow(request: Request, user: User, can: Can, action: str) -> None:
    """Refuse (403), and record the refusal, when the role does not allow ``can``. The
    services refuse and record by themselves; this is for pages that show no data yet."""
    if not user.can(can):
        await record(request, user, action, {"path": _route(request)}, "refused")
        raise projections.NotAllowed(
            f"the {user.role} role may not do this; ask the partnership's administrator if you"
            " need it"
        )


def _route(request: Request) -> str:
    """The route's template, never the raw path (it may hold what someone typed)."""
    path = getattr(request.scope.get("route"), "path", None)
    return path if isinstance(path, str) else "(no route)"


def web(request: Request) -> Web:
    return web_of(request)


Person = Annotated[Caller, Depends(person)]
Posted = Annotated[Caller, Depends(posted_by)]
Script = Annotated[User, Depends(script)]
