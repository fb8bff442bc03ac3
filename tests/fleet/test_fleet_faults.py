"""Faults on a real two-node Ray cluster: a worker killed with SIGKILL mid-run, and workers
whose backend cannot start."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from leisaac_core.dataset import load_episodes
from leisaac_core.fleet import FleetConfig
from leisaac_core.fleet.run import FleetRun
from leisaac_core.session import SessionConfig


def _config(address: str, root: Path, **session: Any) -> FleetConfig:
    fields = {
        "task": "so101_lift_cube",
        "device": "scripted",
        "repo_id": "fleet/faults",
        "root": root,
        "episodes": 6,
        "camera_width": 32,
        "camera_height": 24,
        **session,
    }
    return FleetConfig(session=SessionConfig(**fields), workers=2, address=address)


def test_worker_killed_mid_episode_is_restarted_and_nothing_is_lost(
    ray_cluster: Any, tmp_path: Path
) -> None:
    root = tmp_path / "killed"
    events: list[str] = []
    killed: list[int] = []
    run: FleetRun

    def on_event(message: str) -> None:
        events.append(message)
        # After the first saved episode, SIGKILL the process of a worker that is recording.
        if killed or "saved as episode" not in message:
            return
        for w in run.status.workers:
            if w.state == "recording" and w.pid:
                os.kill(w.pid, signal.SIGKILL)
                killed.append(w.pid)
                return

    run = FleetRun(_config(ray_cluster.address, root), tmp_path, on_event=on_event)
    status = run.run()
    assert killed, f"no worker was recording when the first episode was saved: {events}"
    assert status.state == "finished", (status.message, events)
    died = [m for m in events if "died while recording" in m]
    assert died, events
    assert sum(w.restarts for w in status.workers) == 1
    assert all(w.state != "failed" for w in status.workers)
    episodes = load_episodes(root)
    assert len(episodes) == 6
    assert sorted(e.seed for e in episodes) == list(range(6)), "the lost seed was recorded again"
    # The restarted worker runs in a new process.
    restarted = next(w for w in status.workers if w.restarts)
    assert restarted.pid not in killed


def test_workers_that_cannot_start_are_reported_by_name_not_retried(
    ray_cluster: Any, tmp_path: Path
) -> None:
    # Isaac Lab is not installed here: every worker's session fails to start. GPUs are not
    # asked for (gpus_per_worker=0) so the actors get placed on these CPU-only nodes.
    config = _config(
        ray_cluster.address, tmp_path / "isaac", backend="isaaclab", task="so101_pick_orange"
    ).model_copy(update={"gpus_per_worker": 0.0})
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert {w.state for w in status.workers} == {"failed"}
    for name in ("worker-1", "worker-2"):
        assert any(e.startswith(f"{name} cannot record") and "isaaclab" in e for e in status.errors)
    assert len(status.errors) == 2, "each worker is reported once, not retried"
    assert status.episodes_in_dataset == 0


def test_isaaclab_without_gpus_in_the_cluster_is_a_clear_error(
    ray_cluster: Any, tmp_path: Path
) -> None:
    config = _config(
        ray_cluster.address, tmp_path / "gpu", backend="isaaclab", task="so101_pick_orange"
    )
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert "GPU" in status.message and "cluster has 0" in status.message


def test_failed_episodes_count_their_seeds_as_tried_and_stop_the_run(
    ray_cluster: Any, tmp_path: Path
) -> None:
    # A time limit far too short for the task: every episode times out.
    config = _config(ray_cluster.address, tmp_path / "timeouts", episode_time_s=0.2)
    config = config.model_copy(update={"max_seed_failures": 3})
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert "3 failed seeds in a row" in status.message
    failed = sorted(status.seeds_failed)
    assert len(failed) >= 3 and failed == list(range(len(failed))), "tried in order, none twice"
    assert all("time limit" in why for why in status.seeds_failed.values())
    assert status.episodes_in_dataset == 0
