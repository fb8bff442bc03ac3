"""An encoder per camera per episode: frames in by reference, an mp4 out, never blocking the loop.

The control loop calls `offer()`, which appends a reference to a bounded queue. When the
queue is full the producer waits for the encoder up to a deadline it gives: an unpaced loop
(nothing waits on the wall clock) waits as long as it takes, so it never loses a frame; a
paced loop waits at most until its next tick is due, and only then is the frame dropped and
counted. Timing stays true in the video: a dropped frame is filled by repeating the previous
one (x264 codes a repeat in a few bytes), so frame i of the mp4 is always shown at i / fps,
which lerobot's reader checks.

Encoders run on `EncoderThreads`, long-lived threads that the writer keeps for its whole life,
not on a thread of their own: every new thread gets fresh native stacks and glibc malloc
arenas, which stay behind fragmented when it ends, so a thread per camera per episode made a
long session's memory grow by about half a megabyte per episode (issue 29).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from leisaac_core.dataset.spec import VideoSettings
from leisaac_core.dataset.stats import ImageStatsAccumulator, Stats

log = logging.getLogger(__name__)


class VideoCheckError(RuntimeError):
    """A closed mp4 does not declare what was encoded into it."""


def check_mp4(path: Path, frames: int, fps: int) -> None:
    """Raise VideoCheckError unless `path` declares `frames` frames lasting frames / fps.

    lerobot places episodes inside a concatenated file by the declared stream duration, so
    it must equal frames / fps to within half a tick of the stream's time base (a few
    microseconds), not only to lerobot's 1e-4 s timestamp tolerance: errors add up over the
    episodes of a merged file. Reads the container header only (no decoding).
    """
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise VideoCheckError(f"{path.name}: no video stream")
        stream = container.streams.video[0]
        time_base = stream.time_base or Fraction(1, av.time_base)
        if stream.duration is not None:
            declared = Fraction(stream.duration) * time_base
        else:
            declared = Fraction(container.duration or 0, av.time_base)
            time_base = Fraction(1, av.time_base)
        declared_frames = stream.frames
    expected = Fraction(frames, fps)
    problems = []
    if declared_frames != frames:
        problems.append(f"{declared_frames} frames declared, {frames} encoded")
    if abs(declared - expected) > time_base / 2:
        problems.append(
            f"duration {float(declared):.6f} s declared, {float(expected):.6f} s expected "
            f"({frames} frames at {fps} fps)"
        )
    if problems:
        raise VideoCheckError(f"{path.name}: " + "; ".join(problems))


class FrameQueue:
    """Bounded single-producer single-consumer queue; the producer waits for room only until
    the deadline it gives (`time.perf_counter()` seconds; None: until there is room)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: collections.deque[tuple[int, np.ndarray]] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._aborted = False

    def offer(self, item: tuple[int, np.ndarray], deadline: float | None = None) -> bool:
        """Queue `item`; False (not queued) when closed, or still full at `deadline`."""
        with self._cond:
            while not self._closed and len(self._items) >= self.capacity:
                if deadline is None:
                    self._cond.wait()
                    continue
                left = deadline - time.perf_counter()
                if left <= 0:
                    return False
                self._cond.wait(left)
            if self._closed:
                return False
            self._items.append(item)
            self._cond.notify_all()
            return True

    def take(self) -> tuple[int, np.ndarray] | None:
        """Next item, or None once closed and drained (at once when aborted)."""
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait()
            if self._aborted or not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()  # a producer may wait for room
            return item

    def close(self, abort: bool = False) -> None:
        with self._cond:
            self._closed = True
            self._aborted = self._aborted or abort
            if abort:
                self._items.clear()
            self._cond.notify_all()

    @property
    def aborted(self) -> bool:
        return self._aborted

    def __len__(self) -> int:
        return len(self._items)


class EncoderThreads:
    """Long-lived threads that run encoders one after another. A job takes an idle thread; a
    new one starts only when all are busy (the next episode records while the last one still
    flushes), so a session starts a few threads per camera in all, however many episodes."""

    def __init__(self, name: str = "encoder") -> None:
        self.name = name
        self.started = 0  # threads started over this pool's life
        self._jobs: queue.SimpleQueue[tuple[Callable[[], None], threading.Event] | None] = (
            queue.SimpleQueue()
        )
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, job: Callable[[], None], done: threading.Event) -> None:
        """Run `job` on an idle thread, or on a new one when none is idle; `done` is set once
        the thread is idle again (so a job given after it reuses that thread)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("encoder threads are closed")
            if not self._idle.acquire(blocking=False):
                self.started += 1
                thread = threading.Thread(
                    target=self._serve, name=f"{self.name}-{self.started}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._jobs.put((job, done))

    def close(self) -> None:
        """Stop the threads once the jobs given so far are done."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, done = item
            try:
                job()
            except Exception:  # the thread must live on: others count it as idle
                log.exception("encoder job failed")
            finally:
                self._idle.release()
                done.set()


class CameraEncoder:
    """Encodes one camera's frames of one episode into `path` on one of `threads`."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int,
        settings: VideoSettings,
        name: str,
        threads: EncoderThreads,
        stats_every: int = 5,
    ) -> None:
        self.path = path
        self.width, self.height, self.fps = width, height, fps
        self.settings = settings
        self.name = name
        self.queue = FrameQueue(settings.queue_frames)
        self.dropped = 0  # written only by the producer thread
        self.error: BaseException | None = None
        self.frames_encoded = 0
        self._expected_total: int | None = None
        self._stats = ImageStatsAccumulator()
        self._stats_every = max(1, stats_every)
        self._done = threading.Event()
        threads.run(self._run, self._done)

    # --- producer side (control loop) -------------------------------------------------
    def offer(self, frame_index: int, image: np.ndarray, deadline: float | None = None) -> bool:
        """Queue a frame, waiting for room until `deadline` (None: as long as it takes);
        a frame still not queued then is dropped and counted."""
        if self.queue.offer((frame_index, image), deadline):
            return True
        self.dropped += 1
        return False

    @property
    def backlog(self) -> int:
        return len(self.queue)

    # --- lifecycle (commit thread) -------------------------------------------------------
    def end_input(self, total_frames: int) -> None:
        """No more frames: the episode has `total_frames` (missing ones are padded)."""
        self._expected_total = total_frames
        self.queue.close()

    def finish(self, total_frames: int, timeout: float | None = None) -> Stats | None:
        """Encode what is queued, pad to `total_frames`, close the file; returns image stats."""
        self.end_input(total_frames)
        if not self._done.wait(timeout):
            raise TimeoutError(f"encoder for {self.name} did not finish in {timeout} s")
        if self.error is not None:
            raise RuntimeError(f"video encoder for camera {self.name!r} failed: {self.error}")
        return self._stats.result(total_frames)

    def abort(self) -> None:
        """Stop without waiting; the thread deletes its partial file."""
        self.queue.close(abort=True)

    def join(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)

    # --- encoder thread --------------------------------------------------------------------
    def _run(self) -> None:
        container = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            container = av.open(str(self.path), mode="w", format="mp4")
            stream = self._add_stream(container)
            last: av.VideoFrame | None = None
            next_pts = 0
            while (item := self.queue.take()) is not None:
                index, image = item
                frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(
                    format=self.settings.pix_fmt
                )
                if index % self._stats_every == 0:
                    self._stats.add(image)
                # Frames dropped before this one: repeat the last frame (or this one at start).
                filler = last if last is not None else frame
                while next_pts < index:
                    self._encode(container, stream, filler, next_pts)
                    next_pts += 1
                self._encode(container, stream, frame, index)
                next_pts = index + 1
                last = frame
            if self.queue.aborted:
                return
            total = self._expected_total if self._expected_total is not None else next_pts
            if last is not None:
                while next_pts < total:
                    self._encode(container, stream, last, next_pts)
                    next_pts += 1
            for packet in stream.encode(None):
                container.mux(packet)
            container.close()
            container = None
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            check_mp4(self.path, total, self.fps)
        except BaseException as exc:  # reported through finish(); never kills the process
            self.error = exc
            log.exception("video encoder for camera %s failed", self.name)
        finally:
            # No consumer from here on: a producer waiting for room must not wait forever.
            self.queue.close()
            if container is not None:
                # already failing; the partial file is removed below
                with contextlib.suppress(Exception):
                    container.close()
            if self.queue.aborted or self.error is not None:
                self.path.unlink(missing_ok=True)

    def _add_stream(self, container: av.container.OutputContainer) -> av.VideoStream:
        s = self.settings
        options = {"crf": str(s.crf), "g": str(s.gop), "preset": s.effective_preset}
        if s.encoder_name == "libx264":
            options["threads"] = str(s.threads)
            # One B-frame, no pyramid: a decode delay of exactly one frame (dts = pts - 1
            # frame), what lerobot's own h264 files have (its default g=2 caps x264's
            # B-frames at 1). lerobot's merge concatenates mp4s with ffmpeg's concat
            # demuxer, which shifts each file by the previous files' durations only, so the
            # files' decode delays must be equal: a file with less delay before one with
            # more gives a dts that does not increase (EINVAL while muxing). Deeper B-frame
            # pyramids made libx264 + the mp4 muxer declare a duration a fraction of a
            # frame off frames/fps (lerobot's merge places episodes by it); one B-frame
            # keeps it exact (check_mp4 checks every file).
            options["bf"] = "1"
            options["b-pyramid"] = "none"
        elif s.encoder_name == "libsvtav1":
            options["svtav1-params"] = f"lp={s.threads}" if s.threads else ""
            if not options["svtav1-params"]:
                del options["svtav1-params"]
        stream = container.add_stream(s.encoder_name, rate=self.fps, options=options)
        stream.width = self.width
        stream.height = self.height
        stream.pix_fmt = s.pix_fmt
        stream.codec_context.time_base = Fraction(1, self.fps)
        return stream

    def _encode(
        self,
        container: av.container.OutputContainer,
        stream: av.VideoStream,
        frame: av.VideoFrame,
        pts: int,
    ) -> None:
        frame.pts = pts
        frame.time_base = Fraction(1, self.fps)
        for packet in stream.encode(frame):
            container.mux(packet)
        self.frames_encoded += 1
