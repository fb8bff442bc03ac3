"""A server with a token: the page sends the operator to a login page, the token travels
in a POST body and comes back as an HttpOnly cookie, never in a URL."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import TOKEN, ConsoleLog, LiveServer, screenshot


def test_login_with_token(token_server: LiveServer, page: Page, console: ConsoleLog) -> None:
    # The wrong token is answered 401, which Chromium itself logs as a failed resource.
    console.allow(r"status of 401 .*api/auth/login")
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))

    page.goto(token_server.url + "/")
    expect(page).to_have_url(token_server.url + "/login")
    expect(page.locator("#token")).to_be_focused()
    screenshot(page, "login")

    page.fill("#token", "not-the-token")
    page.press("#token", "Enter")
    expect(page.locator("#login-error")).to_contain_text("wrong token")
    expect(page).to_have_url(token_server.url + "/login")
    screenshot(page, "login-wrong-token")

    with page.expect_request(lambda r: r.url.endswith("/api/auth/login")) as login:
        page.fill("#token", TOKEN)
        page.click("#login-form button[type=submit]")
    assert TOKEN in (login.value.post_data or ""), "the token goes in the POST body"
    expect(page).to_have_url(token_server.url + "/")
    expect(page.locator("#conn")).to_have_text("live")
    expect(page.locator("#logout")).to_be_visible()
    cookies = page.context.cookies()
    assert any(c["httpOnly"] and c["value"] == TOKEN for c in cookies), cookies
    assert not any(TOKEN in url for url in urls), "the token never appears in a URL"

    # Logging out drops the cookie: the page goes back to the login form. A request the
    # dashboard had in flight at that instant (the push panel's token status, say) is answered
    # 401, as it should be, and Chromium logs that as a failed resource.
    console.allow(r"status of 401 .*/api/")
    page.click("#logout")
    expect(page).to_have_url(token_server.url + "/login")
    assert not any(c["value"] == TOKEN for c in page.context.cookies())


def test_login_page_passes_through_without_token(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/login")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("#logout")).to_be_hidden()
    expect(page.locator("#conn")).to_have_text("live")
