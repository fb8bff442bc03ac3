"""Seeds in flight: the Ray actors, the seeds each is recording, probes and restarts.

Every worker is a Ray actor (`FleetWorker`) restarted by Ray when its process dies
(`max_restarts`). Each gets up to `IN_FLIGHT` seeds at a time, so its session finds the
next seed waiting when an episode ends. When the process dies every call under way fails
with an actor error: those seeds go back to the ledger and are recorded again by whichever
worker is free. A worker that cannot record (its session does not start, its policy server
cannot be reached) is reported by name and gets no more seeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leisaac_core.fleet.cluster import check_gpus, import_ray
from leisaac_core.fleet.config import FleetConfig
from leisaac_core.fleet.seeds import SeedLedger
from leisaac_core.fleet.status import WorkerStatus
from leisaac_core.fleet.worker import EpisodeResult, FleetWorker

# Seeds handed to one worker at a time: the one it records and the next one, waiting.
IN_FLIGHT = 2
# A worker that Ray is restarting is asked where it runs; it fails for good after this many
# refusals (0.25 s apart).
_PROBES_WHILE_RESTARTING = 240


@dataclass
class Worker:
    name: str
    handle: Any
    state: str = "starting"  # starting, idle, recording, restarting, failed, stopped
    node: str = ""
    pid: int | None = None
    seeds: list[int] = field(default_factory=list)  # in flight, in the order handed out
    saved: int = 0
    failed: int = 0
    restarts: int = 0
    probe_failures: int = 0
    error: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def can_take(self) -> bool:
        return self.state in ("idle", "recording") and len(self.seeds) < IN_FLIGHT

    def status(self) -> WorkerStatus:
        hours = max(time.monotonic() - self.started, 1e-6) / 3600
        return WorkerStatus(
            name=self.name,
            state=self.state,
            node=self.node,
            pid=self.pid,
            seed=self.seeds[0] if self.seeds else None,
            waiting=tuple(self.seeds[1:]),
            episodes_saved=self.saved,
            episodes_failed=self.failed,
            episodes_per_hour=self.saved / hours,
            restarts=self.restarts,
            error=self.error,
        )


class Dispatcher:
    def __init__(
        self,
        config: FleetConfig,
        ledger: SeedLedger,
        on_event: Callable[[str], None],
        on_error: Callable[[str], None],
    ) -> None:
        self.ray = ray = import_ray()
        self.config = config
        self.ledger = ledger
        self.on_event = on_event
        self.on_error = on_error
        check_gpus(ray, config.num_gpus, config.session.env.type)
        remote = ray.remote(FleetWorker).options(
            num_cpus=config.cpus_per_worker,
            num_gpus=config.num_gpus,
            max_restarts=config.max_restarts,
            max_task_retries=0,
            # `record` x IN_FLIGHT, and `thumbnail` and `where` answer while they run
            max_concurrency=IN_FLIGHT + 2,
        )
        self.workers = [
            Worker(f"worker-{i + 1}", remote.remote(f"worker-{i + 1}", config.session))
            for i in range(config.workers)
        ]
        # ref -> (worker, seed or None for a `where()` probe)
        self.pending: dict[Any, tuple[Worker, int | None]] = {
            w.handle.where.remote(): (w, None) for w in self.workers
        }

    @property
    def in_flight(self) -> int:
        return sum(len(w.seeds) for w in self.workers)

    def fill(self, room: int) -> None:
        """Hand out up to `room` seeds, one per worker per round (spread, not stacked)."""
        while room > 0:
            free = [w for w in self.workers if w.can_take]
            if not free:
                return
            for w in sorted(free, key=lambda w: len(w.seeds))[:room]:
                seed = self.ledger.take()
                w.seeds.append(seed)
                w.state = "recording"
                self.pending[w.handle.record.remote(seed)] = (w, seed)
                room -= 1

    def wait(self, timeout: float) -> list[tuple[Worker, EpisodeResult]]:
        """Results that arrived within `timeout` (probes and deaths handled here)."""
        from ray.exceptions import GetTimeoutError, RayActorError

        if not self.pending:
            return []
        refs = list(self.pending)
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=timeout)
        if ready and len(refs) > 1:  # and every other one already there
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        results = []
        for ref in ready:
            w, seed = self.pending.pop(ref)
            try:
                value = self.ray.get(ref, timeout=60)
            except RayActorError as exc:
                self._died(w, seed, exc)
                continue
            except GetTimeoutError:  # ready but not fetched in time: ask again
                self.pending[ref] = (w, seed)
                continue
            except Exception as exc:  # a bug in the worker
                if seed is None:
                    w.state, w.error = "failed", _first_line(exc)
                    self.on_error(f"{w.name} cannot record: {w.error}")
                    continue
                value = EpisodeResult(seed, w.name, "failed", _first_line(exc))
            if seed is None:
                if w.state != "failed":
                    w.state = "recording" if w.seeds else "idle"
                w.node, w.pid = str(value["node"]), int(value["pid"])
                w.probe_failures = 0
                continue
            if seed in w.seeds:
                w.seeds.remove(seed)
            if w.state == "recording" and not w.seeds:
                w.state = "idle"
            if value.outcome == "start_failed":
                self.ledger.give_back(value.seed)
                if w.state != "failed":
                    w.state, w.error = "failed", value.message
                    self.on_error(f"{w.name} cannot record: {value.message}")
                continue
            results.append((w, value))
        return results

    def _died(self, w: Worker, seed: int | None, exc: Exception) -> None:
        reason = _first_line(exc)
        if seed is None and w.state == "restarting" and w.probe_failures < _PROBES_WHILE_RESTARTING:
            # Asked too early: the process is still being replaced. Ask again shortly.
            w.probe_failures += 1
            time.sleep(0.25)
            self.pending[w.handle.where.remote()] = (w, None)
            return
        seeds = list(w.seeds)
        if seed is not None:
            self.ledger.give_back(seed)
            if seed in w.seeds:
                w.seeds.remove(seed)
            if w.state == "restarting":  # another call of the same death
                return
        w.restarts += 1
        w.probe_failures = 0
        if w.restarts > self.config.max_restarts or "__init__" in reason:
            w.state = "failed"
            w.error = f"died and is not restarted: {reason}"
            self.on_error(f"{w.name} {w.error}")
            return
        w.state = "restarting"
        w.error = f"process died ({reason}); restarted by Ray"
        under_way = f"seed {seeds[0]}" if seeds else "no seed"
        waiting = f" (seed {', '.join(map(str, seeds[1:]))} waiting)" if len(seeds) > 1 else ""
        self.on_event(
            f"{w.name} died while recording {under_way}{waiting}; Ray restarts it and its "
            "seeds are recorded again"
        )
        self.pending[w.handle.where.remote()] = (w, None)  # takes seeds again once it answers

    def close(self) -> None:
        """Close live workers (their scratch folders go), then end every actor for good."""
        live = [w.handle.close.remote() for w in self.workers if w.state in ("idle", "recording")]
        if live:
            self.ray.wait(live, num_returns=len(live), timeout=10)
        for w in self.workers:
            self.ray.kill(w.handle, no_restart=True)
            if w.state != "failed":
                w.state = "stopped"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
