"""One fleet worker: a session engine, unchanged, recording one seed per call.

Each call starts a one-episode session (`episodes=1`, `seed=s`, one failure ends it) into a
fresh private dataset in the worker's scratch folder, then packs that episode into an
`EpisodeBundle` for the head and deletes the folder. The engine never learns it is in a
fleet; the scratch dataset is what makes the worker stateless between calls, so a worker
killed at any point loses only the episode under way (its seed goes back to the ledger).
`run.py` wraps this class as a Ray actor; it is also usable without Ray (tests, bench).
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simplejpeg

from leisaac_core.fleet.bundle import EpisodeBundle, pack_episode
from leisaac_core.session import Event, SessionConfig, SessionEngine

_SCRATCH_PREFIX = "leisaac-fleet-"
# A session that neither finishes nor fails in this long is reported as stuck.
_EPISODE_DEADLINE_S = 3600.0


@dataclass(frozen=True)
class EpisodeResult:
    """`saved` (with a bundle), `failed` (the episode ran and failed: the seed was tried),
    or `start_failed` (the session could not start here: the worker cannot record)."""

    seed: int
    worker: str
    outcome: str
    message: str = ""
    bundle: EpisodeBundle | None = None
    seconds: float = 0.0


class FleetWorker:
    def __init__(self, name: str, template: SessionConfig, scratch: str | None = None) -> None:
        self.name = name
        self.template = template
        _remove_orphaned_scratch(Path(scratch or tempfile.gettempdir()))
        self.scratch = Path(
            tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-{name}-", dir=scratch)
        )
        self.engine = SessionEngine(self.scratch)
        self._events: queue.Queue[Event] = queue.Queue()
        self.engine.add_listener(self._events.put)
        self.engine.start()

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
        the first tick. Runs beside `record` (the actor has two threads)."""
        frames = self.engine.latest_frames
        if frames is None or not frames.images:
            return None
        name = camera if camera in frames.images else next(iter(frames.images))
        image = frames.images[name]
        step = max(1, -(-image.shape[1] // width))  # ceil: at most `width` pixels wide
        small = np.ascontiguousarray(image[::step, ::step])
        return simplejpeg.encode_jpeg(small, quality=75, colorspace="RGB")

    def record(self, seed: int) -> EpisodeResult:
        t0 = time.monotonic()
        root = self.scratch / f"seed-{seed}"
        shutil.rmtree(root, ignore_errors=True)
        template = self.template
        dataset = template.dataset.model_copy(
            update={"root": root, "resume": False, "keep_failures": False, "push_every_episodes": 0}
        )
        episode = template.episode.model_copy(update={"seed": seed, "max_consecutive_failures": 1})
        config = template.model_copy(update={"episodes": 1, "dataset": dataset, "episode": episode})
        while not self._events.empty():  # events of an earlier call
            self._events.get_nowait()
        try:
            self.engine.submit("start", config).result(timeout=600)
        except Exception as exc:
            shutil.rmtree(root, ignore_errors=True)
            return EpisodeResult(seed, self.name, "start_failed", str(exc), None, _since(t0))
        try:
            return self._follow(seed, root, t0)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _follow(self, seed: int, root: Path, t0: float) -> EpisodeResult:
        failure = ""
        deadline = time.monotonic() + _EPISODE_DEADLINE_S
        while True:
            try:
                event = self._events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.engine.submit("stop").result(timeout=60)
                return EpisodeResult(seed, self.name, "failed", "episode took too long")
            if event.kind in ("episode_failure", "episode_timeout", "episode_save_failed"):
                failure = event.message
            elif event.kind == "session_error":
                failure = failure or event.message
                if self.engine.snapshot.phase == "error":  # env/device error: end the session
                    self.engine.submit("stop")
            if event.kind in ("session_finished", "session_stopped"):
                break
        if event.data.get("episodes_saved", 0) != 1:
            return EpisodeResult(
                seed, self.name, "failed", failure or event.message, None, _since(t0)
            )
        bundle = pack_episode(root, seed, self.name)
        return EpisodeResult(seed, self.name, "saved", event.message, bundle, _since(t0))

    def close(self) -> None:
        self.engine.shutdown()
        shutil.rmtree(self.scratch, ignore_errors=True)


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


def _since(t0: float) -> float:
    return time.monotonic() - t0
