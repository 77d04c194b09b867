"""Errors as the web answers them, in one place: JSON ``{"error": ...}`` for the API, a page (or
the sign-in page) for people. The text is the error's own, written for the person who asked
and never holding a child's details (``hub.errors``); anything else is a 500 with no text.

    SignInNeeded                          401 (API, with WWW-Authenticate: Bearer) / sign-in page
    PasswordChangeNeeded                  the set-a-password page
    FormRefused, NotAllowed               403 (recorded in the audit where raised)
    NotFound                              404
    BadArgument, InputError, other        400
    ConfigurationError                    422 (the request is sound; the hub cannot answer it)
    StoreUnavailable                      503 (try again)
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

import projections
from hub.entrypoints.web.auth import FormRefused, PasswordChangeNeeded, SignInNeeded
from hub.entrypoints.web.state import web_of
from hub.errors import ConfigurationError, HubError, NotFound, StoreUnavailable

STATUS: tuple[tuple[type[HubError], int], ...] = (
    (projections.NotAllowed, 403),
    (NotFound, 404),
    (ConfigurationError, 422),
    (StoreUnavailable, 503),
    (HubError, 400),
)


def is_api(request: Request) -> bool:
    """Answered for scripts (JSON, 401 with a challenge) rather than people."""
    path = request.url.path
    return path.startswith("/api/") or path in ("/metrics", "/healthz")


def answer(request: Request, status: int, message: str, **headers: str) -> Response:
    if is_api(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers or None)
    return web_of(request).views.page(
        request,
        "error.html",
        {"status": status, "message": message},
        user=getattr(request.state, "user", None),
        csrf=getattr(request.state, "csrf", None),
        status=status,
        headers=headers or None,
    )


def install(app: FastAPI) -> None:
    async def sign_in_needed(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInNeeded)
        if is_api(request):
            challenge = 'Bearer error="invalid_token"' if error.bad_token else "Bearer"
            return answer(request, 401, str(error), **{"WWW-Authenticate": challenge})
        web = web_of(request)
        target = "/signin"
        if request.method == "GET" and request.url.path not in ("/", "/signin"):
            target += "?next=" + quote(request.url.path, safe="/")
        response = RedirectResponse(target, status_code=303)
        jar = web.cookies(request)
        response.delete_cookie(jar.session, secure=jar.secure, httponly=True)
        return response

    async def password_needed(request: Request, error: Exception) -> Response:
        return RedirectResponse("/password", status_code=303)

    async def form_refused(request: Request, error: Exception) -> Response:
        return answer(
            request,
            403,
            "This form has expired or did not come from this site. Go back, reload the page and"
            " send it again.",
        )

    async def hub_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HubError)
        status = next(code for kind, code in STATUS if isinstance(error, kind))
        return answer(request, status, str(error))

    async def not_valid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem.get('loc', ())[1:]) or 'request'}:"
            f" {problem.get('msg', 'not valid')}"
            for problem in error.errors()
        )
        return answer(request, 422 if is_api(request) else 400, problems or "not a valid request")

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        text = {404: "There is no such page.", 405: "That method is not allowed here."}
        return answer(
            request,
            error.status_code,
            text.get(error.status_code, str(error.detail)),
            **(error.headers or {}),
        )

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(PasswordChangeNeeded, password_needed)
    app.add_exception_handler(FormRefused, form_refused)
    app.add_exception_handler(HubError, hub_error)
    app.add_exception_handler(RequestValidationError, not_valid)
    app.add_exception_handler(HTTPException, http_error)
