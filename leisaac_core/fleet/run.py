"""The coordinator: runs on the head (the Ray driver), owns the seed ledger and the one
dataset writer, and keeps every worker busy until the dataset holds the requested episodes.

Its parts: `cluster.py` finds or starts Ray, `dispatch.py` keeps seeds in flight on the
workers (restarts, failed workers), `head.py` commits received episodes on their own thread
behind a bounded queue. This loop moves results from the one to the other and tells the
status; the run fails only when no worker is left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from leisaac_core.dataset.spec import dataset_dir
from leisaac_core.fleet.cluster import (
    LOOPBACK_ENV,
    FleetError,
    connect,
    import_ray,
    ray_installed,
)
from leisaac_core.fleet.config import FleetConfig
from leisaac_core.fleet.dispatch import Dispatcher, Worker
from leisaac_core.fleet.head import Commit, HeadCommitter
from leisaac_core.fleet.ingest import FleetWriter
from leisaac_core.fleet.seeds import SeedLedger
from leisaac_core.fleet.status import FleetStatus

__all__ = ["LOOPBACK_ENV", "FleetError", "FleetRun", "ray_installed"]

log = logging.getLogger("leisaac.fleet")


class FleetRun:
    """One fleet run. `run()` blocks (CLI, or a thread of the server); `stop()` and
    `status` are for any other thread. After the run `commits` lists every commit (timing,
    bytes, the head's and the worker's memory), for the benches."""

    def __init__(
        self,
        config: FleetConfig,
        dataset_root: Path,
        on_event: Callable[[str], None] = lambda message: None,
        on_status: Callable[[FleetStatus], None] = lambda status: None,
    ) -> None:
        self.config = config
        s = config.session
        self.root = Path(s.dataset.root or dataset_dir(dataset_root, s.dataset.repo_id))
        self.on_event = on_event
        self.on_status = on_status
        self.status = FleetStatus(
            state="idle", repo_id=s.dataset.repo_id, root=str(self.root), episodes_target=s.episodes
        )
        self.commits: list[Commit] = []
        self.most_queued = 0  # the most received episodes ever waiting for their commit
        self._stop = threading.Event()
        self._errors: list[str] = []
        self._workers: list[Worker] = []

    def stop(self) -> None:
        self._stop.set()

    def thumbnail(self, worker: str, camera: str | None = None) -> bytes | None:
        """A small JPEG of the newest frame of `worker` (any thread); None when it has none
        (not started, restarting, failed). KeyError for a name that is not in the run."""
        w = next((w for w in self._workers if w.name == worker), None)
        if w is None:
            raise KeyError(worker)
        if w.state not in ("idle", "recording"):
            return None
        ray = import_ray()
        try:
            return ray.get(w.handle.thumbnail.remote(camera), timeout=5)
        except Exception:  # died meanwhile, or busy starting: no picture this time
            return None

    # ---- the run ----------------------------------------------------------------------------
    def run(self) -> FleetStatus:
        cfg = self.config
        self._publish(state="starting", message="opening the dataset")
        try:
            writer = FleetWriter(
                self.root, cfg.session.dataset.repo_id, resume=cfg.session.dataset.resume
            )
        except Exception as exc:  # exists without --resume, busy (another writer), corrupt
            return self._publish(state="error", message=str(exc))
        try:
            for line in writer.repairs:
                self._event(f"dataset repaired: {line}")
            ledger = SeedLedger(cfg.first_seed, done=writer.recorded_seeds())
            if writer.episodes >= cfg.session.episodes:
                return self._publish(
                    state="finished",
                    episodes_in_dataset=writer.episodes,
                    message=f"{self.root} already holds {writer.episodes} episode(s)",
                )
            self._publish(message="connecting to Ray")
            started_ray = connect(cfg.address, cfg.workers * cfg.cpus_per_worker)
            try:
                return self._run_workers(writer, ledger)
            finally:
                if started_ray:
                    import_ray().shutdown()
        except Exception as exc:
            log.exception("fleet run failed")
            return self._publish(state="error", message=str(exc))
        finally:
            writer.close()

    def _run_workers(self, writer: FleetWriter, ledger: SeedLedger) -> FleetStatus:
        cfg = self.config
        target = cfg.session.episodes
        dispatcher = Dispatcher(cfg, ledger, self._event, self._error)
        self._workers = workers = dispatcher.workers
        head = HeadCommitter(writer)
        committed = writer.episodes
        t0 = time.monotonic()
        failures_in_row = 0
        outcome = ""
        try:
            while True:
                committed += self._landed(head.take_done(), ledger)
                if self._commit_errors():
                    outcome = "a received episode could not be committed"
                    break
                if committed >= target:
                    outcome = "finished"
                    break
                if self._stop.is_set():
                    outcome = "stopped"
                    break
                if failures_in_row >= cfg.max_seed_failures:
                    outcome = f"stopped after {failures_in_row} failed seeds in a row"
                    break
                dispatcher.fill(target - committed - head.queued - dispatcher.in_flight)
                if not dispatcher.pending:
                    if not head.queued:
                        outcome = "no worker can record"
                        break
                    head.wait(0.5)
                for w, result in dispatcher.wait(timeout=0.5):
                    if result.outcome == "saved" and result.bundle is not None:
                        failures_in_row = 0
                        if not head.put(result, self._stop):  # waits while the head is behind
                            ledger.give_back(result.seed)
                        continue
                    ledger.mark_failed(result.seed, result.message)
                    w.failed += 1
                    failures_in_row += 1
                    self._event(f"seed {result.seed} failed on {w.name}: {result.message}")
                self._publish_run(writer, ledger, t0, state="running", message="")
        finally:
            dispatcher.close()
            committed += self._landed(head.close(), ledger)  # what was received is committed
            self.most_queued = head.most_queued
        if writer.episodes:
            self._publish(message="packing the dataset into lerobot-sized files")
            try:
                writer.compact()
            except Exception as exc:  # the episodes stay committed, one file each
                log.exception("compaction failed")
                self._error(f"compaction failed (the dataset is complete, not packed): {exc}")
        state = (
            "finished" if outcome == "finished" else "stopped" if outcome == "stopped" else "error"
        )
        message = (
            f"{outcome}: {len(ledger.saved)} episode(s) saved by this run, {writer.episodes} in "
            f"{cfg.session.dataset.repo_id}"
        )
        if state == "error":
            message += "; " + "; ".join(self._errors[-len(workers) :])
        self._event(message)
        return self._publish_run(writer, ledger, t0, state=state, message=message)

    def _landed(self, commits: list[Commit], ledger: SeedLedger) -> int:
        """Book the commits the head finished; returns how many episodes they added."""
        added = 0
        by_name = {w.name: w for w in self._workers}
        for c in commits:
            self.commits.append(c)
            if c.error:
                ledger.give_back(c.seed)
                self._error(f"seed {c.seed} from {c.worker} was not saved: {c.error}")
                continue
            ledger.mark_saved(c.seed)
            by_name[c.worker].saved += 1
            added += 1
            self._event(
                f"seed {c.seed} saved as episode {c.index} by {c.worker} "
                f"({c.commit_s * 1000:.0f} ms commit; {c.index + 1}/{self.config.session.episodes})"
            )
        return added

    def _commit_errors(self) -> bool:
        return any(c.error for c in self.commits)

    # ---- status -----------------------------------------------------------------------------
    def _event(self, message: str) -> None:
        log.info("%s", message)
        self.on_event(message)

    def _error(self, message: str) -> None:
        self._errors.append(message)
        self._event(message)

    def _publish(self, **changes: Any) -> FleetStatus:
        self.status = replace(self.status, errors=tuple(self._errors), **changes)
        self.on_status(self.status)
        return self.status

    def _publish_run(
        self, writer: FleetWriter, ledger: SeedLedger, t0: float, **changes: Any
    ) -> FleetStatus:
        elapsed = time.monotonic() - t0
        commits = sorted(writer.commit_seconds)

        def ms(q: float) -> float:
            return 1000 * commits[min(len(commits) - 1, int(q * len(commits)))] if commits else 0.0

        return self._publish(
            commit_ms_p50=ms(0.5),
            commit_ms_p99=ms(0.99),
            commit_ms_max=ms(1.0),
            episodes_in_dataset=writer.episodes,
            episodes_saved=len(ledger.saved),
            seeds_failed=dict(ledger.failed),
            episodes_per_hour=len(ledger.saved) / max(elapsed, 1e-6) * 3600,
            elapsed_s=elapsed,
            workers=tuple(w.status() for w in self._workers),
            **changes,
        )
