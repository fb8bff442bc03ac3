"""The coordinator: runs on the head (the Ray driver), owns the seed ledger and the one
dataset writer, and keeps every worker busy until the dataset holds the requested episodes.

Only this module imports Ray. Every worker is a Ray actor (`FleetWorker`) restarted by Ray
when its process dies (`max_restarts`); the call under way then fails with an actor error,
its seed goes back to the ledger and is recorded again by whichever worker is free. A
worker whose session cannot start (bad task, no Isaac Lab, no GPU) is reported by name and
gets no more seeds; the run fails only when no worker is left.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from leisaac_core.dataset.spec import dataset_dir
from leisaac_core.fleet.config import FleetConfig
from leisaac_core.fleet.ingest import FleetWriter
from leisaac_core.fleet.seeds import SeedLedger
from leisaac_core.fleet.status import FleetStatus, WorkerStatus
from leisaac_core.fleet.worker import EpisodeResult, FleetWorker

log = logging.getLogger("leisaac.fleet")

CODE_ROOT = str(Path(__file__).resolve().parents[2])
# A local instance (no --address): small object store, no dashboard, loopback only.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024
# Ray resolves 127.0.0.1 to the machine's outward address (and binds there) unless it is
# told this machine is no cluster member; read when Ray is first imported.
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


# A worker that Ray is restarting is asked where it runs; it fails for good after this many
# refusals (0.25 s apart).
_PROBES_WHILE_RESTARTING = 240


class FleetError(RuntimeError):
    """The fleet cannot run (Ray missing, no resources): the message says what to do."""


def ray_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise FleetError(
            "the fleet needs Ray: pip install 'leisaac-dashboard[fleet]' (or pip install ray)"
        ) from None
    return ray


def worker_runtime_env() -> dict[str, Any]:
    """Workers import this checkout's code: its folder goes first on their PYTHONPATH (a
    fresh clone in CI is not installed in site-packages). Nodes of a remote cluster need the
    package installed (the same version) or this folder at the same path."""
    path = os.pathsep.join(p for p in (CODE_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    return {"env_vars": {"PYTHONPATH": path}}


def connect(address: str | None, num_cpus: float) -> bool:
    """Connect to `address` or start a local instance; True when this call started Ray."""
    if not address or address.split(":")[0] in ("127.0.0.1", "localhost"):
        for key, value in LOOPBACK_ENV.items():
            os.environ.setdefault(key, value)
    ray = import_ray()
    if ray.is_initialized():
        return False
    common = {
        "runtime_env": worker_runtime_env(),
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "include_dashboard": False,
    }
    if address:
        try:
            ray.init(address=address, **common)
        except ConnectionError as exc:
            raise FleetError(f"cannot reach the Ray cluster at {address}: {exc}") from None
    else:
        ray.init(
            num_cpus=max(1, int(num_cpus + 0.999)),
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            _node_ip_address="127.0.0.1",
            **common,
        )
    return True


@dataclass
class _Worker:
    name: str
    handle: Any
    state: str = "starting"
    node: str = ""
    pid: int | None = None
    seed: int | None = None
    saved: int = 0
    failed: int = 0
    restarts: int = 0
    probe_failures: int = 0
    error: str = ""
    started: float = field(default_factory=time.monotonic)

    def status(self) -> WorkerStatus:
        hours = max(time.monotonic() - self.started, 1e-6) / 3600
        return WorkerStatus(
            name=self.name,
            state=self.state,
            node=self.node,
            pid=self.pid,
            seed=self.seed,
            episodes_saved=self.saved,
            episodes_failed=self.failed,
            episodes_per_hour=self.saved / hours,
            restarts=self.restarts,
            error=self.error,
        )


class FleetRun:
    """One fleet run. `run()` blocks (CLI, or a thread of the server); `stop()` and
    `status` are for any other thread."""

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
        self._stop = threading.Event()
        self._errors: list[str] = []
        self._workers: list[_Worker] = []

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
        ray = import_ray()
        from ray.exceptions import GetTimeoutError, RayActorError

        cfg = self.config
        self._check_resources(ray)
        remote = ray.remote(FleetWorker).options(
            num_cpus=cfg.cpus_per_worker,
            num_gpus=cfg.num_gpus,
            max_restarts=cfg.max_restarts,
            max_task_retries=0,
            max_concurrency=2,  # `thumbnail` and `where` answer while `record` runs
        )
        workers = [
            _Worker(f"worker-{i + 1}", remote.remote(f"worker-{i + 1}", cfg.session))
            for i in range(cfg.workers)
        ]
        self._workers = workers
        # ref -> (worker, seed or None for a `where()` probe)
        pending: dict[Any, tuple[_Worker, int | None]] = {
            w.handle.where.remote(): (w, None) for w in workers
        }
        t0 = time.monotonic()
        saved = 0
        failures_in_row = 0
        outcome = ""
        try:
            while True:
                done = writer.episodes >= cfg.session.episodes
                if done:
                    outcome = "finished"
                    break
                if self._stop.is_set():
                    outcome = "stopped"
                    break
                if failures_in_row >= cfg.max_seed_failures:
                    outcome = f"stopped after {failures_in_row} failed seeds in a row"
                    break
                in_flight = sum(1 for _, seed in pending.values() if seed is not None)
                for w in workers:
                    if w.state != "idle":
                        continue
                    if writer.episodes + in_flight >= cfg.session.episodes:
                        break
                    w.seed = ledger.take()
                    w.state = "recording"
                    pending[w.handle.record.remote(w.seed)] = (w, w.seed)
                    in_flight += 1
                if not pending:
                    outcome = "no worker can record"
                    break
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                for ref in ready:
                    w, seed = pending.pop(ref)
                    try:
                        value = ray.get(ref, timeout=60)
                    except RayActorError as exc:
                        self._worker_died(w, seed, ledger, exc, pending)
                        continue
                    except GetTimeoutError:  # ready but not fetched in time: ask again
                        pending[ref] = (w, seed)
                        continue
                    except Exception as exc:  # a bug in the worker
                        if seed is None:
                            w.state, w.error = "failed", _first_line(exc)
                            self._error(f"{w.name} cannot record: {w.error}")
                            continue
                        value = EpisodeResult(seed, w.name, "failed", _first_line(exc))
                    if seed is None:
                        w.state, w.node, w.pid = "idle", str(value["node"]), int(value["pid"])
                        w.probe_failures = 0
                        continue
                    w.seed = None
                    w.state = "idle"
                    failures_in_row = self._handle_result(w, value, writer, ledger, failures_in_row)
                    saved = len(ledger.saved)
                self._publish_run(workers, writer, ledger, t0, state="running", message="")
        finally:
            # Close live workers (their scratch folders go), then end every actor for good.
            closing = [w.handle.close.remote() for w in workers if w.state in ("idle",)]
            if closing:
                ray.wait(closing, num_returns=len(closing), timeout=10)
            for w in workers:
                ray.kill(w.handle, no_restart=True)
                if w.state not in ("failed",):
                    w.state = "stopped"
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
            f"{outcome}: {saved} episode(s) saved by this run, {writer.episodes} in "
            f"{cfg.session.dataset.repo_id}"
        )
        if state == "error":
            message += "; " + "; ".join(self._errors[-len(workers) :])
        self._event(message)
        return self._publish_run(workers, writer, ledger, t0, state=state, message=message)

    def _handle_result(
        self,
        w: _Worker,
        result: EpisodeResult,
        writer: FleetWriter,
        ledger: SeedLedger,
        failures_in_row: int,
    ) -> int:
        if result.outcome == "saved" and result.bundle is not None:
            index = writer.commit(result.bundle)
            ledger.mark_saved(result.seed)
            w.saved += 1
            self._event(
                f"seed {result.seed} saved as episode {index} by {w.name} "
                f"({result.seconds:.1f} s; {writer.episodes}/{self.config.session.episodes})"
            )
            return 0
        if result.outcome == "start_failed":
            ledger.give_back(result.seed)
            w.state = "failed"
            w.error = result.message
            self._error(f"{w.name} cannot record: {result.message}")
            return failures_in_row
        ledger.mark_failed(result.seed, result.message)
        w.failed += 1
        self._event(f"seed {result.seed} failed on {w.name}: {result.message}")
        return failures_in_row + 1

    def _worker_died(
        self,
        w: _Worker,
        seed: int | None,
        ledger: SeedLedger,
        exc: Exception,
        pending: dict[Any, tuple[_Worker, int | None]],
    ) -> None:
        reason = _first_line(exc)
        if seed is None and w.state == "restarting" and w.probe_failures < _PROBES_WHILE_RESTARTING:
            # Asked too early: the process is still being replaced. Ask again shortly.
            w.probe_failures += 1
            time.sleep(0.25)
            pending[w.handle.where.remote()] = (w, None)
            return
        if seed is not None:
            ledger.give_back(seed)
        w.seed = None
        w.restarts += 1
        w.probe_failures = 0
        if w.restarts > self.config.max_restarts or "__init__" in reason:
            w.state = "failed"
            w.error = f"died and is not restarted: {reason}"
            self._error(f"{w.name} {w.error}")
            return
        w.state = "restarting"
        w.error = f"process died ({reason}); restarted by Ray"
        self._event(
            f"{w.name} died while recording seed {seed}; Ray restarts it and the seed is "
            "recorded again"
        )
        pending[w.handle.where.remote()] = (w, None)  # idle again once it answers

    def _check_resources(self, ray: Any) -> None:
        cfg = self.config
        if cfg.num_gpus <= 0:
            return
        gpus = float(ray.cluster_resources().get("GPU", 0))
        if gpus < cfg.num_gpus:
            raise FleetError(
                f"{cfg.session.env.type} workers need {cfg.num_gpus:g} GPU each and the Ray "
                f"cluster has {gpus:g}; add GPU nodes or lower --workers"
            )

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
        self,
        workers: list[_Worker],
        writer: FleetWriter,
        ledger: SeedLedger,
        t0: float,
        **changes: Any,
    ) -> FleetStatus:
        elapsed = time.monotonic() - t0
        commits = sorted(writer.commit_seconds)
        return self._publish(
            commit_ms_p50=1000 * commits[len(commits) // 2] if commits else 0.0,
            commit_ms_max=1000 * commits[-1] if commits else 0.0,
            episodes_in_dataset=writer.episodes,
            episodes_saved=len(ledger.saved),
            seeds_failed=dict(ledger.failed),
            episodes_per_hour=len(ledger.saved) / max(elapsed, 1e-6) * 3600,
            elapsed_s=elapsed,
            workers=tuple(w.status() for w in workers),
            **changes,
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
