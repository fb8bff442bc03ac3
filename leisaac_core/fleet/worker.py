"""One fleet worker: ONE fed session kept alive across seeds (env, renderer, encoders).

The session starts with the worker and takes its seeds from a `SeedFeed`. `record(seed)`
puts the seed into the feed and waits until that seed's episode ends: a saved episode comes
back from the session's writer as a `DeliveredEpisode` (its mp4s and frame table as bytes,
never committed here) and is returned as an `EpisodeBundle` for the head to commit. The
coordinator keeps two `record` calls in flight per worker (the actor runs them on separate
threads), so the next seed is already waiting when an episode ends. A worker killed at any
point loses only the episodes under way; their seeds go back to the ledger.
`run.py` wraps this class as a Ray actor; it is also usable without Ray (tests, bench).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simplejpeg

from leisaac_core.dataset import DeliveredEpisode
from leisaac_core.fleet.bundle import EpisodeBundle
from leisaac_core.session import Event, SessionConfig, SessionEngine
from leisaac_core.session.feed import SeedEnding, SeedFeed

_SCRATCH_PREFIX = "leisaac-fleet-"
# A seed whose episode neither ends nor fails in this long is reported as stuck.
_EPISODE_DEADLINE_S = 3600.0
# Sessions do not end by count; this only satisfies the config (the feed ends them).
_FED_EPISODES = 1_000_000


@dataclass(frozen=True)
class EpisodeResult:
    """`saved` (with a bundle), `failed` (the episode ran and failed: the seed was tried),
    or `start_failed` (this worker cannot record: its session does not start, or its policy
    server cannot be reached). `cpu_s` and `rss_bytes`: the worker process's so far."""

    seed: int
    worker: str
    outcome: str
    message: str = ""
    bundle: EpisodeBundle | None = None
    seconds: float = 0.0
    cpu_s: float = 0.0
    rss_bytes: int = 0


class FleetWorker:
    def __init__(self, name: str, template: SessionConfig, scratch: str | None = None) -> None:
        self.name = name
        _remove_orphaned_scratch(Path(scratch or tempfile.gettempdir()))
        self.scratch = Path(
            tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-{name}-", dir=scratch)
        )
        dataset = template.dataset.model_copy(
            update={
                "root": self.scratch / "session",
                "resume": False,
                "keep_failures": False,
                "push_every_episodes": 0,
            }
        )
        self.config = template.model_copy(update={"episodes": _FED_EPISODES, "dataset": dataset})
        self._lock = threading.Lock()
        self._waiting: dict[int, Future[EpisodeResult]] = {}  # seed -> its result
        self._started: dict[int, float] = {}
        self._cannot_record = ""  # set once: no seed can be recorded here
        self.feed = SeedFeed(on_ended=self._ended, on_delivered=self._delivered)
        self.engine = SessionEngine(self.scratch, feed=self.feed)
        self.engine.add_listener(self._on_event)
        self.engine.start()
        try:  # built now, while the head gets ready: the first seed finds it warm
            self.engine.submit("start", self.config).result(timeout=600)
        except Exception as exc:
            self._cannot_record = str(exc)

    def where(self) -> dict[str, object]:
        """Which process and node this worker runs in (for the status and kill tests)."""
        node = socket.gethostname()
        try:  # under Ray: the node's id tells two nodes on one machine apart
            import ray

            if ray.is_initialized():
                node = f"{node}/{ray.get_runtime_context().get_node_id()[:8]}"
        except ImportError:
            pass
        return {"pid": os.getpid(), "node": node}

    def thumbnail(self, camera: str | None = None, width: int = 160) -> bytes | None:
        """The newest frame of `camera` (default: the first) as a small JPEG; None before
        the first tick. Runs beside `record` (the actor has several threads)."""
        frames = self.engine.latest_frames
        if frames is None or not frames.images:
            return None
        name = camera if camera in frames.images else next(iter(frames.images))
        image = frames.images[name]
        step = max(1, -(-image.shape[1] // width))  # ceil: at most `width` pixels wide
        small = np.ascontiguousarray(image[::step, ::step])
        return simplejpeg.encode_jpeg(small, quality=75, colorspace="RGB")

    def record(self, seed: int) -> EpisodeResult:
        """Record `seed` (blocks until its episode ended and, saved, was delivered)."""
        future: Future[EpisodeResult] = Future()
        with self._lock:
            if self._cannot_record:
                return self._result(seed, "start_failed", self._cannot_record)
            self._waiting[seed] = future
            self._started[seed] = time.monotonic()
        self.feed.put(seed)
        try:
            return future.result(timeout=_EPISODE_DEADLINE_S)
        except TimeoutError:
            return self._result(seed, "failed", "episode took too long")

    def close(self) -> None:
        self.feed.close()
        self.engine.shutdown()
        self._fail_all("the worker was closed")
        shutil.rmtree(self.scratch, ignore_errors=True)

    # ---- from the session (its worker thread, or the writer's commit thread) --------------
    def _ended(self, ending: SeedEnding) -> None:
        if ending.outcome == "success":
            return  # its episode is delivered next
        if ending.unreachable:
            with self._lock:
                self._cannot_record = f"its policy server cannot be reached ({ending.reason})"
            self._settle(ending.seed, "start_failed", self._cannot_record)
            self._fail_all(self._cannot_record, outcome="start_failed")
            return
        self._settle(ending.seed, "failed", ending.reason)

    def _delivered(self, episode: DeliveredEpisode) -> None:
        seed = int(episode.row["seed"])
        bundle = EpisodeBundle.of(episode, seed, self.name)
        self._settle(seed, "saved", "", bundle)

    def _on_event(self, event: Event) -> None:
        # Only an internal error or a failed delivery stops a fed session for a reset: every
        # seed it holds then fails, and the session is started again for the next ones.
        if event.kind == "session_error" and event.data.get("waits_for_reset"):
            self._fail_all(event.message)
            self.engine.submit("reset")

    def _settle(
        self, seed: int, outcome: str, message: str, bundle: EpisodeBundle | None = None
    ) -> None:
        with self._lock:
            future = self._waiting.pop(seed, None)
        if future is not None and not future.done():
            future.set_result(self._result(seed, outcome, message, bundle))

    def _fail_all(self, message: str, outcome: str = "failed") -> None:
        with self._lock:
            seeds = list(self._waiting)
        for seed in seeds:
            self._settle(seed, outcome, message)

    def _result(
        self, seed: int, outcome: str, message: str, bundle: EpisodeBundle | None = None
    ) -> EpisodeResult:
        started = self._started.pop(seed, time.monotonic())
        times = os.times()
        return EpisodeResult(
            seed,
            self.name,
            outcome,
            message,
            bundle,
            time.monotonic() - started,
            times.user + times.system,
            rss_bytes(),
        )


def rss_bytes() -> int:
    """This process's resident memory (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _remove_orphaned_scratch(parent: Path) -> None:
    """Scratch folders of worker processes that died (kill -9: the episode under way)."""
    for folder in parent.glob(f"{_SCRATCH_PREFIX}*"):
        pid = folder.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
