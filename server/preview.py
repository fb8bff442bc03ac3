"""Camera preview: one thread downsizes and JPEG-encodes the newest frames once per preview
tick; the asyncio side sends the same bytes to every websocket client.

Binary message layout (little-endian), documented for API users:
    u8  name_length | name (utf-8) | f64 frame_time (unix s) | u32 tick | JPEG bytes
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Callable

import numpy as np
import simplejpeg

from leisaac_core.session import SessionEngine

log = logging.getLogger("leisaac.preview")

FrameSink = Callable[[str, bytes], None]


def pack_frame(camera: str, frame_time: float, tick: int, jpeg: bytes) -> bytes:
    name = camera.encode()
    return struct.pack("<B", len(name)) + name + struct.pack("<dI", frame_time, tick) + jpeg


def unpack_frame(message: bytes) -> tuple[str, float, int, bytes]:
    n = message[0]
    camera = message[1 : 1 + n].decode()
    frame_time, tick = struct.unpack_from("<dI", message, 1 + n)
    return camera, frame_time, tick, message[1 + n + 12 :]


def downsize(image: np.ndarray, width: int) -> np.ndarray:
    """Integer-stride downsizing: cheap, and plenty for a thumbnail."""
    stride = max(1, image.shape[1] // width)
    return np.ascontiguousarray(image[::stride, ::stride])


class PreviewEncoder:
    def __init__(
        self, engine: SessionEngine, sink: FrameSink, hz: float, width: int, quality: int
    ) -> None:
        self._engine = engine
        self._sink = sink
        self._period = 1.0 / hz
        self._width = width
        self._quality = quality
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="preview-encoder", daemon=True)
        self.frames_encoded = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last_tick = -1
        while not self._stop.wait(self._period):
            frames = self._engine.latest_frames
            if frames is None or frames.tick == last_tick:
                continue
            last_tick = frames.tick
            for camera, image in frames.images.items():
                try:
                    jpeg = simplejpeg.encode_jpeg(
                        downsize(image, self._width), quality=self._quality, colorspace="RGB"
                    )
                except Exception:
                    log.exception("preview encoding failed for %s", camera)
                    continue
                self._sink(camera, pack_frame(camera, frames.time, frames.tick, jpeg))
                self.frames_encoded += 1
