"""Token authentication.

Loopback-only servers need no token. Binding anything else requires one: given by the admin
or generated once at start. Browsers present it as an HttpOnly cookie set by the login page
(never in a URL); scripts send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import ipaddress
import secrets

from fastapi import HTTPException, Request, WebSocket, status

COOKIE_NAME = "leisaac_token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def generate_token() -> str:
    return secrets.token_urlsafe(24)


def presented_token(headers: dict[str, str] | object, cookies: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")  # type: ignore[attr-defined]
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return cookies.get(COOKIE_NAME)


def token_matches(expected: str | None, given: str | None) -> bool:
    if expected is None:
        return True
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


def expected_token(request: Request | WebSocket) -> str | None:
    token = request.app.state.settings.token
    return token.get_secret_value() if token is not None else None


def require_token(request: Request) -> None:
    """Dependency for every protected route."""
    if not token_matches(
        expected_token(request), presented_token(request.headers, request.cookies)
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="this server requires a token: log in on the page, or send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


def websocket_allowed(websocket: WebSocket) -> bool:
    return token_matches(
        expected_token(websocket), presented_token(websocket.headers, websocket.cookies)
    )
