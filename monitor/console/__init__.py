"""The analyst console: server-rendered pages at `/` over the same store and functions as the API.

`install(app)` mounts the pages, the static files (served locally, no CDN) and the
handlers that turn a missing session into a redirect to the sign-in page; `not_found_page` is
the 404 page the app shows for paths outside the API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from monitor.console.session import CsrfRejected, Forbidden, SignInRequired
from monitor.console.web import HERE, secure, templates


async def _signin_required(request: Request, _: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/signin" if target == "/" else f"/signin?next={_quote(target)}"
    if request.headers.get("hx-request"):
        # htmx would swap the redirect target into the page; ask it to navigate instead.
        return Response(status_code=401, headers={"HX-Redirect": location})
    if request.method != "GET":
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse(location, status_code=303)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")


async def _csrf_rejected(request: Request, _: Exception) -> Response:
    return secure(templates.TemplateResponse(
        request,
        "error.html",
        {
            "user": None,
            "csrf": "",
            "title": "Request refused",
            "message": "This form has expired or did not come from this console (CSRF check failed). "
            "Go back, reload the page and try again.",
        },
        status_code=403,
    ))


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    return secure(templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "csrf": "", "title": "Not allowed", "message": str(exc)},
        status_code=403,
    ))


def not_found_page(request: Request) -> Response:
    """The console's 404 page for a path no route has (the app sends API paths their JSON error instead)."""
    return secure(templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "csrf": "", "title": "Page not found",
         "message": f"There is no console page at {request.url.path}."},
        status_code=404,
    ))


def install(app: FastAPI) -> None:
    """Mount the console's pages and static files on the app."""
    from monitor.console.pages import routers

    app.add_exception_handler(SignInRequired, _signin_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(Forbidden, _forbidden)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    for router in routers():
        app.include_router(router, include_in_schema=False)

