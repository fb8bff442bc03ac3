"""One video encoder per (camera, codec), shared by every viewer of that camera.

The encoder runs on its own thread at an OS priority below the rest of the process (the sim
loop must win the CPU): it polls the engine's newest frames at twice the session's fps and
takes each new one (a paused loop's last frame only once a second), stamps the frame id and
time into a copy (frame_stamp.py), encodes it once with PyAV (libvpx VP8 realtime, or
libx264 ultrafast/zerolatency baseline) and hands the packet to the event loop, which fans
it out to each viewer's `EncodedTrack`. aiortc only packetizes an `av.Packet`
(RTCRtpSender._next_encoded_frame), so N viewers cost one encode.

A viewer never holds anyone up: its track keeps a few packets at most; one that falls
further behind drops them and waits for the next keyframe (a P-frame without the frames
before it would decode to garbage), and asks for one. New viewers start from a keyframe too.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fractions
import logging
import os
import sys
import threading
import time

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import Packet, VideoFrame
from av.codec import CodecContext
from av.video.codeccontext import VideoCodecContext
from av.video.frame import PictureType

from leisaac_core.session import SessionEngine
from server.frame_stamp import stamp

log = logging.getLogger("leisaac.live_view")

CLOCK_RATE = 90_000  # RTP's video clock
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
DEFAULT_FPS = 30.0
BITRATE = 1_200_000  # bit/s: a sharp 640x480 view of a sim scene, well under a LAN's share
KEYFRAME_INTERVAL_S = 2.0  # what a viewer that lost a packet waits at worst
KEYFRAME_GAP_S = 0.5  # requests (joins, PLIs, a viewer behind) this close share one keyframe
POLLS_PER_FRAME = 2  # a new frame waits half a frame period at most to be encoded
KEEPALIVE_S = 1.0  # no newer frame (the loop paused): the last one again this often
MAX_QUEUED = 4  # packets a viewer's track may hold before it is behind
ENCODER_NICE = 10  # below the loop's 0: the sim thread wins a contended core
CODECS = ("VP8", "H264")


def open_codec(codec: str, width: int, height: int, fps: float) -> VideoCodecContext:
    """A realtime encoder: no lookahead, constant bitrate, one thread (it is niced; libvpx's
    and x264's own threads would inherit that, but one core for video is plenty)."""
    gop = max(1, round(KEYFRAME_INTERVAL_S * fps))
    rate = str(BITRATE)
    if codec == "VP8":
        context = CodecContext.create("libvpx", "w")
        options = {
            "deadline": "realtime",
            "cpu-used": "8",  # fastest realtime presets; the stamp cells are 8+ px wide
            "lag-in-frames": "0",
            "minrate": rate,
            "maxrate": rate,  # minrate == maxrate: libvpx's CBR
            "bufsize": rate,  # a 1 s buffer
            "static-thresh": "1",
            "undershoot-pct": "100",
            "overshoot-pct": "15",
        }
    elif codec == "H264":
        context = CodecContext.create("libx264", "w")
        # Baseline: what every browser decodes; FFmpeg repeats SPS/PPS at each keyframe
        # (no global header), so a viewer can join at any of them.
        options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "forced-idr": "1",
            "maxrate": rate,
            "bufsize": rate,
        }
    else:
        raise ValueError(f"no live encoder for codec {codec!r}; it has {', '.join(CODECS)}")
    assert isinstance(context, VideoCodecContext)
    context.width = width
    context.height = height
    context.pix_fmt = "yuv420p"
    context.time_base = TIME_BASE
    context.framerate = fractions.Fraction(fps).limit_denominator(1001)
    context.bit_rate = BITRATE
    context.gop_size = gop
    context.thread_count = 1
    context.options = options
    return context


def lower_this_threads_priority(nice: int = ENCODER_NICE) -> None:
    """Linux nices threads one by one; elsewhere this thread keeps the process' priority."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class EncodedTrack(MediaStreamTrack):
    """One viewer's video: the shared encoder's packets, from a keyframe on."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.source: SharedEncoder | None = None
        self.frames_sent = 0
        self.frames_repeated = 0  # the last frame again (the loop paused or stopped)
        self.frames_dropped = 0  # skipped to catch up (or to reach a keyframe)
        self._packets: collections.deque[tuple[Packet, bool]] = collections.deque()
        self._ready = asyncio.Event()
        self._waiting_for_keyframe = True

    def push(self, packet: Packet, keyframe: bool, repeated: bool) -> None:
        """A new packet (on the event loop)."""
        if len(self._packets) >= MAX_QUEUED:
            self.frames_dropped += len(self._packets)
            self._packets.clear()
            self._waiting_for_keyframe = True
        if self._waiting_for_keyframe and not keyframe:
            self.frames_dropped += 1
            self.request_keyframe()
            return
        self._waiting_for_keyframe = False
        self._packets.append((packet, repeated))
        self._ready.set()

    def request_keyframe(self) -> None:
        """Also what the sender calls on a viewer's PLI/FIR (see LiveViews.offer)."""
        if self.source is not None:
            self.source.request_keyframe()

    async def recv(self) -> Packet:  # type: ignore[override]  # aiortc takes a Packet too
        while not self._packets:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        packet, repeated = self._packets.popleft()
        self.frames_sent += 1
        self.frames_repeated += repeated
        return packet

    def stop(self) -> None:
        super().stop()
        self._ready.set()  # wake recv() so the sender sees the end


class SharedEncoder:
    """Encodes one camera once for all its viewers (subscribe/unsubscribe on the loop)."""

    def __init__(
        self, engine: SessionEngine, camera: str, codec: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        if codec not in CODECS:
            raise ValueError(f"no live encoder for codec {codec!r}; it has {', '.join(CODECS)}")
        self.engine = engine
        self.camera = camera
        self.codec = codec
        self.loop = loop
        self.tracks: set[EncodedTrack] = set()
        self.frames_encoded = 0
        self.keyframes = 0
        self._keyframe_wanted = True
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"live-encoder-{camera}-{codec}", daemon=True
        )

    def subscribe(self, track: EncodedTrack) -> None:
        track.source = self
        self.tracks.add(track)
        self.request_keyframe()  # the new viewer starts from one
        if self._thread.ident is None:  # its first viewer (a thread starts only once)
            self._thread.start()

    def unsubscribe(self, track: EncodedTrack) -> None:
        self.tracks.discard(track)
        track.source = None

    def request_keyframe(self) -> None:
        self._keyframe_wanted = True  # a flag, read by the encoder thread: latest wins

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _fps(self) -> float:
        timing = self.engine.snapshot.timing
        return timing.target_fps if timing is not None and timing.target_fps > 0 else DEFAULT_FPS

    def _fan_out(self, packet: Packet, keyframe: bool, repeated: bool) -> None:
        for track in list(self.tracks):
            track.push(packet, keyframe, repeated)

    def _run(self) -> None:
        lower_this_threads_priority()
        try:
            self._encode_until_stopped()
        except RuntimeError as exc:  # the event loop closed under us: the server is going
            log.debug("live encoder %s/%s ends: %s", self.camera, self.codec, exc)
        except Exception:
            log.exception("live encoder %s/%s failed", self.camera, self.codec)

    def _encode_until_stopped(self) -> None:
        context: VideoCodecContext | None = None
        started = next_at = time.monotonic()
        last_pts = last_tick = -1
        last_keyframe = last_encoded = -KEEPALIVE_S
        while not self._stopping.is_set():
            period = 1.0 / (self._fps() * POLLS_PER_FRAME)
            now = time.monotonic()
            next_at += period
            if next_at > now:
                self._stopping.wait(next_at - now)
            elif now - next_at > period:
                next_at = now  # behind: skip polls, never burst
            frames = self.engine.latest_frames
            if frames is None or self.camera not in frames.images:
                continue
            now = time.monotonic()
            repeated = frames.tick == last_tick
            keyframe = self._keyframe_wanted and now - last_keyframe >= KEYFRAME_GAP_S
            if repeated and not keyframe and now - last_encoded < KEEPALIVE_S:
                continue  # nothing new to show: spend no CPU on it
            image = np.array(frames.images[self.camera], dtype=np.uint8, copy=True)
            stamp(image, frames.tick & 0xFFFF, int(frames.time * 1000) & 0xFFFF)
            height, width = image.shape[:2]
            if context is None or (context.width, context.height) != (width, height):
                context = open_codec(self.codec, width, height, self._fps())
            frame = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
            last_pts = max(last_pts + 1, int((now - started) * CLOCK_RATE))
            frame.pts = last_pts
            frame.time_base = TIME_BASE
            if keyframe:
                self._keyframe_wanted = False
                frame.pict_type = PictureType.I
            last_tick, last_encoded = frames.tick, now
            for packet in context.encode(frame):
                packet.time_base = TIME_BASE
                if packet.is_keyframe:  # asked for, the codec's first, or the interval's
                    self.keyframes += 1
                    last_keyframe = now
                self.frames_encoded += 1
                self.loop.call_soon_threadsafe(self._fan_out, packet, packet.is_keyframe, repeated)
