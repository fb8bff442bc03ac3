"""The live view to teleoperate by: one camera as a WebRTC video stream (aiortc) at the
dataset fps, to each browser that asks for it.

Each viewer's track takes the engine's newest frames (`engine.latest_frames`: a plain read,
latest wins) at the fps, copies the camera's image, stamps its frame id and time into it
(frame_stamp.py) and hands it to aiortc, whose encoder (VP8 or H.264, as the browser
negotiates) runs on a worker thread. Nothing here is ever waited on by the loop or the
recorder: a slow viewer's encoder only makes its own track skip frames, and a lost viewer is
closed when its connection fails. The JPEG preview path is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import ipaddress
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from av import VideoFrame

from leisaac_core.session import SessionEngine
from server.frame_stamp import stamp

log = logging.getLogger("leisaac.live_view")

CLOCK_RATE = 90_000  # RTP's video clock
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
DEFAULT_FPS = 30.0


class CameraTrack(VideoStreamTrack):
    """One camera of the session, at the session's fps, frame id and time stamped in."""

    def __init__(self, engine: SessionEngine, camera: str) -> None:
        super().__init__()
        self.engine = engine
        self.camera = camera
        self.frames_sent = 0
        self.frames_repeated = 0  # no newer frame at a tick (the loop paused or stopped)
        self._last_tick = -1
        self._next = 0.0
        self._started = 0.0

    def _fps(self) -> float:
        timing = self.engine.snapshot.timing
        return timing.target_fps if timing is not None and timing.target_fps > 0 else DEFAULT_FPS

    async def recv(self) -> VideoFrame:
        loop = asyncio.get_running_loop()
        period = 1.0 / self._fps()
        now = loop.time()
        if not self._started:
            self._started = self._next = now
        self._next += period
        if self._next > now:
            await asyncio.sleep(self._next - now)
        elif now - self._next > period:
            self._next = now  # behind (an encoder slower than the fps): skip, never burst
        frames = self.engine.latest_frames
        while frames is None or self.camera not in frames.images:
            await asyncio.sleep(period)
            frames = self.engine.latest_frames
        image = np.array(frames.images[self.camera], dtype=np.uint8, copy=True)
        stamp(image, frames.tick & 0xFFFF, int(frames.time * 1000) & 0xFFFF)
        if frames.tick == self._last_tick:
            self.frames_repeated += 1
        self._last_tick = frames.tick
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = int((loop.time() - self._started) * CLOCK_RATE)
        frame.time_base = TIME_BASE
        self.frames_sent += 1
        return frame


@dataclass
class Viewer:
    id: int
    camera: str
    pc: RTCPeerConnection
    track: CameraTrack
    sender: RTCRtpSender
    created: float = field(default_factory=time.monotonic)
    codec: str = ""
    bytes_sent: int = 0
    kbit_s: float = 0.0
    _last_bytes: tuple[float, int] = (0.0, 0)


class LiveViews:
    """The WebRTC viewers of this server (on the event loop only)."""

    _ids = itertools.count(1)

    def __init__(
        self, engine: SessionEngine, ice_servers: list[str], loopback_only: bool = False
    ) -> None:
        self.engine = engine
        self.ice_servers = ice_servers
        self.loopback_only = loopback_only
        self.viewers: dict[int, Viewer] = {}
        if loopback_only:
            _gather_on_loopback_only()

    async def offer(self, sdp: str, kind: str, camera: str) -> tuple[Viewer, RTCSessionDescription]:
        """Answer a browser's offer with a stream of `camera`."""
        config = RTCConfiguration(iceServers=[RTCIceServer(url) for url in self.ice_servers])
        pc = RTCPeerConnection(config)  # no ICE servers unless configured: no third party
        track = CameraTrack(self.engine, camera)
        sender = pc.addTrack(track)
        viewer = Viewer(next(self._ids), camera, pc, track, sender)
        self.viewers[viewer.id] = viewer

        @pc.on("connectionstatechange")
        async def _state() -> None:
            log.info("live viewer %d: %s", viewer.id, pc.connectionState)
            if pc.connectionState in ("failed", "closed"):
                await self.close(viewer.id)

        try:
            offer = RTCSessionDescription(sdp=self._candidates(sdp), type=kind)
            await pc.setRemoteDescription(offer)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await self.close(viewer.id)
            raise
        viewer.codec = _negotiated_codec(pc.localDescription.sdp)
        return viewer, pc.localDescription

    def _candidates(self, sdp: str) -> str:
        """The offer as given; with `loopback_only`, without candidates off loopback (a
        browser on this machine, and the tests, which may send nothing elsewhere)."""
        if not self.loopback_only:
            return sdp
        lines = [line for line in sdp.split("\r\n") if not _off_loopback(line)]
        return "\r\n".join(lines)

    async def close(self, viewer_id: int) -> bool:
        viewer = self.viewers.pop(viewer_id, None)
        if viewer is None:
            return False
        viewer.track.stop()
        with contextlib.suppress(Exception):
            await viewer.pc.close()
        return True

    async def close_all(self) -> None:
        for viewer_id in list(self.viewers):
            await self.close(viewer_id)

    async def status(self) -> list[dict[str, Any]]:
        """Each viewer: camera, connection state, codec, frames and bytes sent, kbit/s since
        the last call (the first call: since it connected)."""
        out = []
        for viewer in list(self.viewers.values()):
            with contextlib.suppress(Exception):
                stats = await viewer.sender.getStats()
                sent = sum(
                    getattr(s, "bytesSent", 0) or 0
                    for s in stats.values()
                    if getattr(s, "type", "") == "outbound-rtp"
                )
                now = time.monotonic()
                since, before = viewer._last_bytes or (viewer.created, 0)
                if now > since:
                    viewer.kbit_s = (sent - before) * 8 / 1e3 / (now - since)
                viewer._last_bytes = (now, sent)
                viewer.bytes_sent = sent
            out.append(
                {
                    "id": viewer.id,
                    "camera": viewer.camera,
                    "state": viewer.pc.connectionState,
                    "codec": viewer.codec,
                    "frames_sent": viewer.track.frames_sent,
                    "frames_repeated": viewer.track.frames_repeated,
                    "bytes_sent": viewer.bytes_sent,
                    "kbit_s": round(viewer.kbit_s, 1),
                }
            )
        return out


def _gather_on_loopback_only() -> None:
    """Make aiortc's ICE agent (aioice) offer 127.0.0.1 only. aioice lists every interface
    but loopback and has no option to choose; its module function is the one place to say
    so (process-wide: a loopback-only server is a test's or a single machine's)."""
    import aioice.ice

    def loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback


def _off_loopback(line: str) -> bool:
    if not line.startswith("a=candidate:"):
        return False
    parts = line.split()
    try:
        return not ipaddress.ip_address(parts[4]).is_loopback
    except (IndexError, ValueError):
        return True  # an mDNS name (x.local): resolving it would leave loopback


def _negotiated_codec(sdp: str) -> str:
    """The first video codec of an answer ("VP8", "H264")."""
    payloads: list[str] = []
    names: dict[str, str] = {}
    for line in sdp.split("\r\n"):
        if line.startswith("m=video"):
            payloads = line.split()[3:]
        elif line.startswith("a=rtpmap:"):
            number, _, rest = line[len("a=rtpmap:") :].partition(" ")
            names[number] = rest.split("/")[0]
    for number in payloads:
        name = names.get(number, "")
        if name not in ("rtx", "red", "ulpfec"):
            return name
    return ""
