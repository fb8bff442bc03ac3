"""The operator's page and the login page (Jinja2 templates from `frontend/`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leisaac_core import __version__
from leisaac_core.session import EventKind
from server.auth import expected_token, presented_token, token_matches

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    if not token_matches(
        expected_token(request), presented_token(request.headers, request.cookies)
    ):
        return RedirectResponse("/login", status_code=303)
    # The page takes the event kinds from here rather than spelling them again.
    kinds = {kind.name: kind.value for kind in EventKind}
    return request.app.state.templates.TemplateResponse(
        request, "index.html", {"version": __version__, "event_kinds": kinds}
    )


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, "login.html", {"version": __version__}
    )
