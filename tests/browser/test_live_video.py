"""The live video: Chromium plays one camera over WebRTC (aiortc on the server, the page's
own RTCPeerConnection), reads each displayed frame's stamp back to measure glass-to-glass
latency, and reports the bitrate; the JPEG thumbnails go on beside it and are the fallback,
and the page says which it uses. WebRTC runs over loopback only (webrtc_loopback_only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import LiveServer, make_server, screenshot, wait_ready
from tests.support.live_server import session_body

pytestmark = pytest.mark.browser


@pytest.fixture
def video_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = make_server(tmp_path / "datasets", webrtc_loopback_only=True).start()
    yield server
    server.stop()


def _start_session(server: LiveServer, repo_id: str) -> None:
    body = session_body(
        repo_id,
        episodes=500,
        env={"camera_width": 320, "camera_height": 240},
        episode={"seed": 3, "realtime": True, "time_s": 300},
    )
    with server.client() as http:
        response = http.post("/api/session", json=body)
        assert response.status_code == 201, response.text


def _figures(page: Page) -> dict:
    return page.evaluate("window.leisaac.liveVideo.figures()")


def test_chromium_plays_the_webrtc_view_and_measures_it(
    video_server: LiveServer, page: Page
) -> None:
    _start_session(video_server, "op/video")
    page.goto(video_server.url)
    wait_ready(page)
    state = page.locator("#live-video-state")
    assert state.get_attribute("data-mode") == "jpeg"
    assert state.inner_text() == "Live video: JPEG thumbnails"
    page.click("#live-video-toggle")
    page.wait_for_function(
        "(() => { const f = window.leisaac.liveVideo.figures();"
        " return f.mode === 'webrtc' && f.g2gP50 !== null && f.framesShown >= 60"
        " && f.kbitS !== null; })()",
        timeout=90_000,
    )
    figures = _figures(page)
    assert figures["codec"] in ("VP8", "H264"), figures
    # Every displayed frame carried a readable stamp; latency is positive (shown after it
    # was made) and the stream has a bitrate.
    assert figures["framesUnreadable"] <= figures["framesShown"] // 20, figures
    assert 0 < figures["g2gP50"] <= figures["g2gP99"], figures
    assert figures["kbitS"] > 0
    text = state.inner_text()
    assert text.startswith(f"Live video: WebRTC {figures['codec']} · front · glass-to-glass")
    assert page.locator(".camera[data-camera='wrist']").is_visible()  # thumbnails go on
    with video_server.client() as http:
        viewers = http.get("/api/live").json()
    assert len(viewers) == 1 and viewers[0]["state"] == "connected"
    assert viewers[0]["camera"] == "front" and viewers[0]["bytes_sent"] > 0
    screenshot(page, "live_video_webrtc")

    page.click("#live-video-toggle")  # stop: back to thumbnails, the server drops the viewer
    assert state.get_attribute("data-mode") == "jpeg"
    with video_server.client() as http:
        for _ in range(50):
            if not http.get("/api/live").json():
                break
            page.wait_for_timeout(100)
        assert http.get("/api/live").json() == []


def test_a_lost_viewer_is_dropped_and_the_page_falls_back_without_webrtc(
    video_server: LiveServer, browser, page: Page
) -> None:
    _start_session(video_server, "op/lost")
    context = browser.new_context()
    viewer = context.new_page()
    viewer.goto(video_server.url)
    wait_ready(viewer)
    viewer.click("#live-video-toggle")
    viewer.wait_for_function("window.leisaac.liveVideo.figures().framesShown >= 10", timeout=90_000)
    context.close()  # the viewer's browser goes away without a word
    with video_server.client() as http:
        for _ in range(600):
            if not http.get("/api/live").json():
                break
            page.wait_for_timeout(100)
        assert http.get("/api/live").json() == [], "the lost viewer was not dropped in 60 s"

    page.add_init_script("delete window.RTCPeerConnection")
    page.goto(video_server.url)
    wait_ready(page)
    page.click("#live-video-toggle")
    state = page.locator("#live-video-state")
    assert state.get_attribute("data-mode") == "failed"
    assert "JPEG thumbnails — WebRTC is off: this browser has no WebRTC" in state.inner_text()
    page.wait_for_function("window.leisaac.live.cameras.figures().minRate > 0")
