"""The head's commits, on their own thread behind a bounded queue.

The coordinator hands each received episode to `put`, which blocks while the queue is full:
a head that commits slowly stops the coordinator from collecting results, so no new seeds
go out and the workers wait (backpressure; no worker drops a frame, no episode piles up in
memory). Every commit is timed, with the head's RSS after it and the worker's figures that
came with the episode, for the status and the benches.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass

from leisaac_core.fleet.bundle import EpisodeBundle
from leisaac_core.fleet.ingest import FleetWriter
from leisaac_core.fleet.worker import EpisodeResult, rss_bytes

# Received episodes waiting for their commit; beyond this the coordinator waits.
COMMIT_QUEUE = 4


@dataclass(frozen=True)
class Commit:
    """One committed episode (or, with `error`, one that could not be committed)."""

    seed: int
    worker: str
    index: int
    commit_s: float
    nbytes: int  # what crossed from the worker (mp4s + frame table)
    head_rss: int
    worker_rss: int
    worker_cpu_s: float
    error: str = ""


class HeadCommitter:
    def __init__(self, writer: FleetWriter, depth: int = COMMIT_QUEUE) -> None:
        self.writer = writer
        self._queue: queue.Queue[EpisodeResult | None] = queue.Queue(maxsize=depth)
        self._done: deque[Commit] = deque()  # appended on the commit thread
        self.queued = 0  # put and not yet taken back as done (coordinator thread)
        self.most_queued = 0
        self._thread = threading.Thread(target=self._run, name="fleet-commits", daemon=True)
        self._thread.start()

    def put(self, result: EpisodeResult, stop: threading.Event) -> bool:
        """Queue a saved episode for its commit; waits while the queue is full. False when
        `stop` was set meanwhile (the episode is then not committed)."""
        while not stop.is_set():
            try:
                self._queue.put(result, timeout=0.25)
            except queue.Full:
                continue
            self.queued += 1
            self.most_queued = max(self.most_queued, self.queued)
            return True
        return False

    def take_done(self) -> list[Commit]:
        done = []
        while self._done:
            done.append(self._done.popleft())
        self.queued -= len(done)
        return done

    def wait(self, timeout: float) -> None:
        """Until a commit lands or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while not self._done and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.01)

    def close(self) -> list[Commit]:
        """Commit what is queued, end the thread; returns the commits not yet taken."""
        self._queue.put(None)
        self._thread.join()
        return self.take_done()

    def _run(self) -> None:
        while (result := self._queue.get()) is not None:
            bundle: EpisodeBundle | None = result.bundle
            assert bundle is not None
            t0 = time.perf_counter()
            try:
                index, error = self.writer.commit(bundle), ""
            except Exception as exc:  # a bundle that does not fit: the run ends with it
                index, error = -1, str(exc) or type(exc).__name__
            self._done.append(
                Commit(
                    bundle.seed,
                    bundle.worker,
                    index,
                    time.perf_counter() - t0,
                    bundle.nbytes,
                    rss_bytes(),
                    result.rss_bytes,
                    result.cpu_s,
                    error,
                )
            )
