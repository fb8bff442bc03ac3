"""The live view to teleoperate by: one camera as a WebRTC video stream (aiortc) at the
dataset fps, to each browser that asks for it.

Each camera is encoded once per negotiated codec, however many viewers watch it
(live_encoder.py: a thread below the loop's priority, frame id and time stamped in), and each
viewer's track only passes the shared packets on for aiortc to packetize. Nothing here is
ever waited on by the loop or the recorder: a slow viewer drops its own packets and resumes
at a keyframe, and a lost viewer is closed when its connection fails. The JPEG preview path
is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from leisaac_core.session import SessionEngine
from server.live_encoder import EncodedTrack, SharedEncoder

log = logging.getLogger("leisaac.live_view")


@dataclass
class Viewer:
    id: int
    camera: str
    pc: RTCPeerConnection
    track: EncodedTrack
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
        self.encoders: dict[tuple[str, str], SharedEncoder] = {}  # by (camera, codec)
        if loopback_only:
            _gather_on_loopback_only()

    async def offer(self, sdp: str, kind: str, camera: str) -> tuple[Viewer, RTCSessionDescription]:
        """Answer a browser's offer with a stream of `camera`."""
        config = RTCConfiguration(iceServers=[RTCIceServer(url) for url in self.ice_servers])
        pc = RTCPeerConnection(config)  # no ICE servers unless configured: no third party
        track = EncodedTrack()
        sender = pc.addTrack(track)
        # aiortc forwards a viewer's PLI/FIR to its own encoder, which a track of packets
        # does not use: ask the shared encoder instead.
        sender._send_keyframe = track.request_keyframe  # type: ignore[method-assign]
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
        try:
            self._encoder(camera, viewer.codec).subscribe(track)
        except ValueError:  # a codec aiortc negotiates but we do not encode
            await self.close(viewer.id)
            raise
        return viewer, pc.localDescription

    def _encoder(self, camera: str, codec: str) -> SharedEncoder:
        key = (camera, codec)
        if key not in self.encoders:
            loop = asyncio.get_running_loop()
            self.encoders[key] = SharedEncoder(self.engine, camera, codec, loop)
        return self.encoders[key]

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
        encoder = viewer.track.source
        if encoder is not None:
            encoder.unsubscribe(viewer.track)
            if not encoder.tracks:  # its last viewer: stop encoding
                encoder.stop()
                self.encoders.pop((encoder.camera, encoder.codec), None)
        viewer.track.stop()
        with contextlib.suppress(Exception):
            await viewer.pc.close()
        return True

    async def close_all(self) -> None:
        encoders = list(self.encoders.values())
        for viewer_id in list(self.viewers):
            await self.close(viewer_id)
        for encoder in encoders:
            encoder.stop()
            await asyncio.to_thread(encoder.join, 5.0)

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
                    "frames_dropped": viewer.track.frames_dropped,
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
