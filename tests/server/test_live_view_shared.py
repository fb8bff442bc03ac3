"""Viewers of one camera share one encoder: a real server (uvicorn on loopback, a MuJoCo
session) and two real aiortc peer connections in this process as the viewers, over loopback
(the server's webrtc_loopback_only limits ICE to 127.0.0.1 process-wide, these clients
included). Each viewer decodes what it gets and reads the frame stamps back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import Packet, VideoFrame

from leisaac_core.session import SessionEngine
from server.frame_stamp import read_stamp
from server.live_encoder import MAX_QUEUED, TIME_BASE, EncodedTrack, SharedEncoder, open_codec
from tests.support.live_server import LiveServer, make_settings, session_body, start_server


def run_in_own_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run on a thread of its own: once a browser test has run, Playwright's sync
    API keeps an event loop running on the suite's main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def video_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(make_settings(tmp_path / "datasets", webrtc_loopback_only=True))
    body = session_body(
        "op/shared",
        episodes=100,
        env={"camera_width": 320, "camera_height": 240},  # the stamp needs 320 px
        episode={"seed": 3, "realtime": True, "time_s": 300},
    )
    with server.client() as http:
        response = http.post("/api/session", json=body)
        assert response.status_code == 201, response.text
    yield server
    server.stop()


class Viewer:
    """An aiortc client playing the front camera: every decoded frame's stamp."""

    def __init__(self, codec: str) -> None:
        self.pc = RTCPeerConnection()
        transceiver = self.pc.addTransceiver("video", direction="recvonly")
        capabilities = RTCRtpReceiver.getCapabilities("video")
        assert capabilities is not None
        transceiver.setCodecPreferences(  # offer only `codec`, as a browser may prefer it
            [c for c in capabilities.codecs if c.mimeType == f"video/{codec}"]
        )
        self.stamps: list[tuple[int, int] | None] = []
        self.id = 0
        self._reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        with pytest.raises(MediaStreamError):
            while True:
                frame = await track.recv()
                self.stamps.append(read_stamp(frame.to_ndarray(format="rgb24")))

    async def connect(self, http: httpx.AsyncClient) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())  # candidates gathered
        offer = {"sdp": self.pc.localDescription.sdp, "type": "offer", "camera": "front"}
        response = await http.post("/api/live/offer", json=offer)
        assert response.status_code == 200, response.text
        answer = response.json()
        self.id = answer["viewer_id"]
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def frames(self, count: int) -> None:
        while len(self.stamps) < count:
            await asyncio.sleep(0.05)

    async def leave(self, http: httpx.AsyncClient) -> None:
        """As the page does: tell the server, then close the connection."""
        response = await http.delete(f"/api/live/{self.id}")
        assert response.json() == {"closed": True}
        await self.pc.close()
        if self._reader is not None:
            await self._reader


def _encoder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("live-encoder-")]


async def _watch_with_two(server: LiveServer, codec: str) -> None:
    live_views = server.app.state.live_views
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        first, second = Viewer(codec), Viewer(codec)
        await first.connect(http)
        await asyncio.wait_for(first.frames(15), 60)
        await second.connect(http)
        await asyncio.wait_for(second.frames(15), 60)
        await asyncio.wait_for(first.frames(len(first.stamps) + 15), 60)

        # One encoder, on one thread, feeds both viewers.
        assert len(live_views.encoders) == 1
        (encoder,) = live_views.encoders.values()
        tracks = [live_views.viewers[v.id].track for v in (first, second)]
        assert all(track.source is encoder for track in tracks)
        assert len(_encoder_threads()) == 1
        # The second viewer joined at a keyframe made for it: the first frame it decoded
        # carries a readable stamp (a join mid-GOP decodes to garbage), and so do the others
        # (a few may not where a loaded machine drops a UDP packet on loopback).
        assert encoder.keyframes >= 2
        assert second.stamps[0] is not None, second.stamps[:15]
        for viewer in (first, second):
            assert viewer.stamps.count(None) <= len(viewer.stamps) // 20, viewer.stamps
        viewers = (await http.get("/api/live")).json()
        assert [v["codec"] for v in viewers] == [codec] * 2 and encoder.codec == codec

        # The first viewer leaves: the second goes on with the same encoder.
        await first.leave(http)
        await asyncio.wait_for(second.frames(len(second.stamps) + 15), 60)
        assert list(live_views.encoders.values()) == [encoder]
        await second.leave(http)
        assert not live_views.viewers and not live_views.encoders


@pytest.mark.parametrize("codec", ["VP8", "H264"])
def test_two_viewers_of_a_camera_share_one_encoder(video_server: LiveServer, codec: str) -> None:
    run_in_own_loop(_watch_with_two(video_server, codec))
    for thread in _encoder_threads():  # the last viewer gone, the encoder stops
        thread.join(timeout=10)
    assert _encoder_threads() == []


def _vp8_packets(count: int) -> list[Packet]:
    """Real packets of the live view's VP8 encoder: a keyframe, then P-frames."""
    context = open_codec("VP8", 320, 240, 30.0)
    packets = []
    for i in range(count):
        image = np.full((240, 320, 3), (i * 7) % 256, np.uint8)
        frame = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * 3000, TIME_BASE
        packets += context.encode(frame)
    return packets


def test_a_viewer_behind_drops_to_the_next_keyframe_and_never_queues_more(tmp_path: Path) -> None:
    """A viewer whose sender does not read (a slow one) holds MAX_QUEUED packets at most;
    past that it drops them all, asks the shared encoder for a keyframe, skips P-frames
    (they would decode to garbage without the dropped ones) and resumes at the keyframe."""

    async def behind() -> None:
        encoder = SharedEncoder(SessionEngine(tmp_path), "front", "VP8", asyncio.get_running_loop())
        track = EncodedTrack()
        track.source = encoder  # subscribed, without starting the encoder's thread
        packets = _vp8_packets(MAX_QUEUED + 4)
        assert [p.is_keyframe for p in packets] == [True] + [False] * (MAX_QUEUED + 3)
        track.push(packets[1], keyframe=False, repeated=False)  # joined mid-GOP: skipped
        assert track.frames_dropped == 1
        for packet in packets[: MAX_QUEUED + 2]:
            encoder._keyframe_wanted = False
            track.push(packet, packet.is_keyframe, repeated=False)
            assert len(track._packets) <= MAX_QUEUED
        assert encoder._keyframe_wanted  # the one behind asked for a keyframe
        keyframe = _vp8_packets(1)[0]
        track.push(packets[-1], keyframe=False, repeated=False)  # still waiting: skipped
        track.push(keyframe, keyframe=True, repeated=False)
        assert await track.recv() is keyframe  # it resumes at the keyframe
        assert track.frames_sent == 1
        # the mid-GOP one, the full queue, the two P-frames past it, the one before the key
        assert track.frames_dropped == 1 + MAX_QUEUED + 2 + 1

    run_in_own_loop(behind())
