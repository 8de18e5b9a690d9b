"""Sign-in with an API key, sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from monitor.console.session import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL,
    UserDep,
    end_session,
    load_user,
    new_signin_token,
    signin_token_ok,
    start_session,
)
from monitor.console.web import redirect, render, safe_next
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter()


def _secure(request: Request) -> bool:
    # Mark cookies Secure when served over HTTPS (directly or behind a proxy that says so).
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _signin_page(request: Request, settings: SettingsDep, *, error: str = "", status: int = 200) -> Response:
    token, cookie = new_signin_token(settings)
    response = render(
        request,
        "signin.html",
        None,
        status_code=status,
        signin_token=token,
        error=error,
        next=safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        PRE_CSRF_COOKIE, cookie, max_age=3600, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )
    return response


@router.get("/signin")
def signin_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The sign-in form (or straight on to the queue when already signed in)."""
    if load_user(session, settings, request.cookies.get(SESSION_COOKIE)) is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _signin_page(request, settings)


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: Annotated[str, Form(max_length=200)] = "",
    signin_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the key and open a session; the form again with an error otherwise."""
    if not signin_token_ok(settings, request.cookies.get(PRE_CSRF_COOKIE), signin_token):
        return _signin_page(request, settings, error="The form expired. Please sign in again.", status=403)
    opened = start_session(session, settings, api_key)
    if opened is None:
        return _signin_page(request, settings, error="That API key is not valid or has been revoked.", status=401)
    cookie, _ = opened
    session.commit()  # the session row must exist before the browser's next request
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post("/signout")
def signout(session: SessionDep, user: UserDep) -> Response:
    """End the session and forget the cookie."""
    end_session(session, user.sid)
    session.commit()
    response = redirect("/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
