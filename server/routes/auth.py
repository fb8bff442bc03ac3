"""Login for browsers: the token goes in a POST body once and comes back as an HttpOnly
cookie, so it never appears in a URL, the history or a log line."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from server.auth import COOKIE_NAME, expected_token, presented_token, token_matches
from server.models import AuthResultOut, AuthStatusOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    token: str = Field(..., min_length=1, max_length=512)


@router.get("/status", summary="Whether this server requires a token and whether you have it")
async def auth_status(request: Request) -> AuthStatusOut:
    expected = expected_token(request)
    given = presented_token(request.headers, request.cookies)
    return AuthStatusOut(
        token_required=expected is not None, authenticated=token_matches(expected, given)
    )


@router.post("/login", summary="Exchange the token for a session cookie")
async def login(body: LoginRequest, request: Request, response: Response) -> AuthResultOut:
    expected = expected_token(request)
    if not token_matches(expected, body.token):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="wrong token: use the one printed when the server started",
        )
    if expected is not None:
        response.set_cookie(
            COOKIE_NAME,
            body.token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=30 * 24 * 3600,
        )
    return AuthResultOut(authenticated=True)


@router.post("/logout", summary="Forget the session cookie")
async def logout(response: Response) -> AuthResultOut:
    response.delete_cookie(COOKIE_NAME)
    return AuthResultOut(authenticated=False)
