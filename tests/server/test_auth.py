"""Token on and off: loopback without a token; with a token every route but health/login and
the websocket check it; the token never comes back in a response."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.live_server import LiveServer

TOKEN = "s3cret-token"


def test_without_token_everything_is_open_on_loopback(live_server: LiveServer) -> None:
    with live_server.client() as http:
        assert http.get("/api/session").status_code == 200
        assert http.get("/api/auth/status").json() == {
            "token_required": False,
            "authenticated": True,
        }
    with connect(live_server.ws_url) as ws:
        assert '"hello"' in ws.recv(timeout=10)


def test_routes_need_the_token(token_server: LiveServer) -> None:
    with token_server.client() as anonymous:
        assert anonymous.get("/api/health").status_code == 200
        for method, path in [
            ("GET", "/api/session"),
            ("POST", "/api/session/stop"),
            ("GET", "/api/datasets"),
            ("GET", "/api/options"),
        ]:
            response = anonymous.request(method, path)
            assert response.status_code == 401, path
            assert "token" in response.json()["detail"]
        # The page sends browsers to the login form.
        page = anonymous.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert anonymous.get("/login").status_code == 200
    with token_server.client("wrong") as wrong:
        assert wrong.get("/api/session").status_code == 401
    with token_server.client(TOKEN) as authed:
        assert authed.get("/api/session").status_code == 200


def test_login_sets_an_httponly_cookie_and_never_echoes_the_token(token_server: LiveServer) -> None:
    with httpx.Client(base_url=token_server.url) as http:
        assert http.post("/api/auth/login", json={"token": "nope"}).status_code == 401
        response = http.post("/api/auth/login", json={"token": TOKEN})
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert TOKEN not in response.text
        assert http.get("/api/session").status_code == 200  # cookie works
        for path in ("/api/session", "/api/options", "/api/auth/status", "/openapi.json", "/"):
            assert TOKEN not in http.get(path).text, path


def test_websocket_needs_the_token(token_server: LiveServer) -> None:
    with pytest.raises((InvalidStatus, ConnectionClosed)), connect(token_server.ws_url) as ws:
        ws.recv(timeout=10)
    with connect(
        token_server.ws_url, additional_headers={"Authorization": f"Bearer {TOKEN}"}
    ) as ws:
        assert '"hello"' in ws.recv(timeout=10)


def test_no_cors_unless_configured(live_server: LiveServer, tmp_path) -> None:
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    with live_server.client() as http:
        response = http.options("/api/session/stop", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        response = http.get("/api/session", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in response.headers
    from tests.support.live_server import make_settings, start_server

    allowed = start_server(make_settings(tmp_path / "cors", cors_origins=["http://lab.example"]))
    try:
        with allowed.client() as http:
            response = http.get("/api/session", headers={"Origin": "http://lab.example"})
            assert response.headers["access-control-allow-origin"] == "http://lab.example"
            response = http.get("/api/session", headers={"Origin": "http://evil.example"})
            assert "access-control-allow-origin" not in response.headers
    finally:
        allowed.stop()
