"""Signing in and out, and setting one's own password.

Every attempt is recorded in the audit (ok, failed, or limited). After five failures for a
name, or from one client address, within fifteen minutes, the next attempts are answered 429
without checking the password, so guessing is slow even across many names.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from itsdangerous import BadSignature, TimestampSigner
from starlette.responses import RedirectResponse, Response

from hub.domain.people import User
from hub.entrypoints.web.auth import (
    Caller,
    person_with_any_password,
    posted_with_any_password,
    record,
)
from hub.entrypoints.web.oidc import OidcRefused, candidate_names
from hub.entrypoints.web.state import Web, client_address, web_of
from hub.errors import InputError

router = APIRouter(include_in_schema=False)
_FORM_TOKEN_AGE = 3600  # seconds a sign-in form may sit open


@router.get("/signin")
async def signin_form(request: Request, next: str = "/") -> Response:
    web = web_of(request)
    if web.sessions.find(request.cookies.get(web.cookies(request).session)) is not None:
        return RedirectResponse(_local(next), status_code=303)
    return _form(request, web, next=_local(next))


def _form(
    request: Request, web: Web, *, next: str, error: str | None = None, status: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    response = web.views.page(
        request,
        "signin.html",
        {"next": next, "error": error, "oidc": web.oidc is not None},
        csrf=token,
        status=status,
    )
    jar = web.cookies(request)
    response.set_cookie(
        jar.signin,
        TimestampSigner(web.secret, salt="hub-signin").sign(token).decode(),
        max_age=_FORM_TOKEN_AGE,
        httponly=True,
        secure=jar.secure,
        samesite="strict",
    )
    return response


@router.post("/signin")
async def signin(
    request: Request,
    name: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    web = web_of(request)
    next = _local(next)
    if not _form_token_ok(web, request.cookies.get(web.cookies(request).signin), csrf):
        return _form(request, web, next=next, error="The form had expired: try again.", status=403)
    client = client_address(request)
    name = name.strip()
    wait = web.limiter.attempt(name, client)
    if wait is not None:
        web.metrics.sign_ins.labels("limited").inc()
        await _audit_attempt(request, name, client, "limited")
        minutes = max(1, round(wait / 60))
        return _form(
            request,
            web,
            next=next,
            error=f"Too many failed attempts. Try again in {minutes} minutes.",
            status=429,
        )
    user = await web.workers.run(lambda s: s.accounts.sign_in(name, password))
    if user is None:
        web.metrics.sign_ins.labels("failed").inc()
        await _audit_attempt(request, name, client, "failed")
        return _form(
            request, web, next=next, error="That name and password do not match.", status=401
        )
    web.limiter.succeeded(name, client)
    web.metrics.sign_ins.labels("ok").inc()
    await record(request, user, "sign-in", {"how": "password", "client": client})
    target = "/password" if user.must_change_password else next
    return _start(request, web, user, "password", target)


def _start(request: Request, web: Web, user: User, how: str, target: str) -> Response:
    _, cookie = web.sessions.start(user.name, how)
    response = RedirectResponse(target, status_code=303)
    jar = web.cookies(request)
    response.set_cookie(
        jar.session,
        cookie,
        httponly=True,
        secure=jar.secure,
        samesite="lax",  # strict would drop it on the way back from a council's sign-in
    )
    response.delete_cookie(jar.signin, secure=jar.secure, httponly=True)
    return response


async def _user(web: Web, name: str) -> User | None:
    return await web.workers.run(lambda s: s.accounts.get(name))


async def _audit_attempt(request: Request, name: str, client: str, outcome: str) -> None:
    """A failed attempt, under the name given (and the role, when the name is a user's)."""
    web = web_of(request)
    known = await _user(web, name)
    who = User(name[:128], known.role if known else "(unknown)")
    await record(request, who, "sign-in", {"how": "password", "client": client}, outcome)


def _form_token_ok(web: Web, cookie: str | None, given: str) -> bool:
    if not cookie or not given:
        return False
    try:
        expected = TimestampSigner(web.secret, salt="hub-signin").unsign(
            cookie, max_age=_FORM_TOKEN_AGE
        )
    except BadSignature:
        return False
    return secrets.compare_digest(expected, given.encode())


def _local(target: str) -> str:
    """Only a path on this site: ``next`` must not send anyone elsewhere."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    return target


@router.post("/signout")
async def signout(
    request: Request,
    caller: Annotated[Caller, Depends(posted_with_any_password)],
) -> Response:
    web = web_of(request)
    assert caller.session is not None
    web.sessions.end(caller.session.sid)
    await record(request, caller.user, "sign-out", {})
    response = RedirectResponse("/signin", status_code=303)
    jar = web.cookies(request)
    response.delete_cookie(jar.session, secure=jar.secure, httponly=True)
    return response


@router.get("/password")
async def password_form(
    request: Request, caller: Annotated[Caller, Depends(person_with_any_password)]
) -> Response:
    return _password_page(request, caller)


def _password_page(
    request: Request, caller: Caller, error: str | None = None, status: int = 200
) -> Response:
    return web_of(request).views.page(
        request,
        "password.html",
        {"first": caller.user.must_change_password, "error": error},
        user=caller.user,
        csrf=caller.csrf,
        status=status,
    )


@router.post("/password")
async def change_password(
    request: Request,
    caller: Annotated[Caller, Depends(posted_with_any_password)],
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    again: Annotated[str, Form(max_length=1024)],
) -> Response:
    web = web_of(request)
    name = caller.user.name
    if new != again:
        return _password_page(request, caller, "The two new passwords differ.", 400)
    client = client_address(request)
    if web.limiter.attempt(name, client) is not None:  # a session left open is no way round
        await record(request, caller.user, "password.change", {}, "limited")
        return _password_page(request, caller, "Too many failed attempts: try later.", 429)
    if await web.workers.run(lambda s: s.accounts.sign_in(name, current)) is None:
        await record(request, caller.user, "password.change", {}, "failed")
        return _password_page(request, caller, "Your current password is not right.", 400)
    web.limiter.succeeded(name, client)
    try:
        await web.workers.run(lambda s: s.accounts.change_password(name, new))
    except InputError as error:
        return _password_page(request, caller, str(error), 400)
    assert caller.session is not None
    web.sessions.end_all(name, but=caller.session.sid)  # a password shared or seen is no more
    await record(request, caller.user, "password.change", {})
    return RedirectResponse("/", status_code=303)


# Sign-in through the council's OpenID Connect provider: routes added only when configured.

oidc_router = APIRouter(include_in_schema=False)


@oidc_router.get("/signin/oidc")
async def oidc_start(request: Request) -> Response:
    web = web_of(request)
    assert web.oidc is not None
    return await web.oidc.redirect(request, str(request.url_for("oidc_callback")))


@oidc_router.get("/signin/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    web = web_of(request)
    assert web.oidc is not None
    client = client_address(request)
    try:
        claims = await web.oidc.claims(request)
    except OidcRefused as error:
        return _form(
            request, web, next="/", error=f"The council's sign-in failed: {error}", status=401
        )
    names = candidate_names(claims)
    for name in names:
        user = await _user(web, name)
        if user is not None and not user.disabled:
            web.metrics.sign_ins.labels("ok").inc()
            await record(request, user, "sign-in", {"how": "oidc", "client": client})
            return _start(request, web, user, "oidc", "/")
    web.metrics.sign_ins.labels("failed").inc()
    who = User((names[0] if names else "(no name)")[:128], "(unknown)")
    await record(request, who, "sign-in", {"how": "oidc", "client": client}, "failed")
    return _form(
        request,
        web,
        next="/",
        error="You signed in with the council, but the hub has no user of that name"
        f" ({', '.join(names) or 'the provider gave none'}). Ask the hub's administrator to"
        " add you.",
        status=403,
    )
