"""Faults on a real two-node Ray cluster: a worker killed with SIGKILL mid-run, and workers
whose backend cannot start."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from leisaac_core.dataset import load_episodes
from leisaac_core.fleet import FleetConfig
from leisaac_core.fleet.run import FleetRun
from leisaac_core.session import SessionConfig


def _config(address: str, root: Path, **sections: Any) -> FleetConfig:
    """Six scripted episodes on the lift-cube task; each keyword merges into its section."""
    fields: dict[str, Any] = {
        "episodes": 6,
        "env": {"task": "so101_lift_cube", "camera_width": 32, "camera_height": 24},
        "devices": [{"type": "scripted"}],
        "dataset": {"repo_id": "fleet/faults", "root": root},
    }
    for name, value in sections.items():
        fields[name] = {**fields.get(name, {}), **value} if isinstance(value, dict) else value
    return FleetConfig(session=SessionConfig(**fields), workers=2, address=address)


def test_worker_killed_mid_episode_is_restarted_and_nothing_is_lost(
    ray_cluster: Any, tmp_path: Path
) -> None:
    root = tmp_path / "killed"
    # Paced at 30 fps an episode lasts about 3 s, so a worker seen recording the same seed
    # for a second is mid-episode when it is killed.
    events: list[str] = []
    run = FleetRun(
        _config(ray_cluster.address, root, episode={"realtime": True}),
        tmp_path,
        on_event=events.append,
    )
    killed: list[tuple[str, int, int]] = []  # (worker, pid, seed)

    def kill_one_mid_episode() -> None:
        # A worker is killed 1 s after it was SEEN to begin a seed (its previous seed or idle
        # state observed first), so the kill lands early in an episode of about 3 s.
        last: dict[str, int | None] = {}  # worker -> seed seen at the previous poll
        began: dict[str, tuple[int, float]] = {}  # worker -> (seed, when it was seen to begin)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.status.state in ("idle", "starting", "running"):
            for w in run.status.workers:
                seed = w.seed if w.state == "recording" else None
                if w.name in last and seed is not None and last[w.name] != seed:
                    began[w.name] = (seed, time.monotonic())
                last[w.name] = seed
                started = began.get(w.name)
                if started and started[0] == seed and w.pid and 1.0 < _since(started[1]) < 1.5:
                    os.kill(w.pid, signal.SIGKILL)
                    killed.append((w.name, w.pid, seed))
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_mid_episode)
    killer.start()
    status = run.run()
    killer.join()
    assert killed, "no worker was seen mid-episode"
    name, pid, seed = killed[0]
    assert status.state == "finished", status.message
    assert any(f"{name} died while recording seed {seed}" in e for e in events), (
        killed,
        "\n".join(events),
    )
    assert [w.restarts for w in status.workers if w.name == name] == [1]
    assert all(w.state != "failed" for w in status.workers)
    episodes = load_episodes(root)
    assert len(episodes) == 6
    assert sorted(e.seed for e in episodes) == list(range(6)), "the lost seed was recorded again"
    # Ray started a new process for the killed worker, and it came back.
    restarted = next(w for w in status.workers if w.name == name)
    assert restarted.pid is not None and restarted.pid != pid


def _since(t: float) -> float:
    return time.monotonic() - t


def test_workers_that_cannot_start_are_reported_by_name_not_retried(
    ray_cluster: Any, tmp_path: Path
) -> None:
    # Isaac Lab is not installed here: every worker's session fails to start. GPUs are not
    # asked for (gpus_per_worker=0) so the actors get placed on these CPU-only nodes.
    isaac = {"type": "isaaclab", "task": "so101_pick_orange"}
    config = _config(ray_cluster.address, tmp_path / "isaac", env=isaac).model_copy(
        update={"gpus_per_worker": 0.0}
    )
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert {w.state for w in status.workers} == {"failed"}
    for name in ("worker-1", "worker-2"):
        assert any(e.startswith(f"{name} cannot record") and "isaaclab" in e for e in status.errors)
    assert len(status.errors) == 2, "each worker is reported once, not retried"
    assert status.episodes_in_dataset == 0


def test_a_worker_whose_policy_server_is_down_is_reported_by_name(
    ray_cluster: Any, tmp_path: Path
) -> None:
    """Issue 28: no seed is failed (or recorded empty) for a server that never answered."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    url = f"ws://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nothing listens there now
    config = _config(ray_cluster.address, tmp_path / "policy", devices=[], policy={"url": url})
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert {w.state for w in status.workers} == {"failed"}
    for name in ("worker-1", "worker-2"):
        (error,) = [e for e in status.errors if e.startswith(f"{name} cannot record")]
        assert "policy server cannot be reached" in error and url in error
    assert status.seeds_failed == {} and status.episodes_in_dataset == 0


def test_isaaclab_without_gpus_in_the_cluster_is_a_clear_error(
    ray_cluster: Any, tmp_path: Path
) -> None:
    isaac = {"type": "isaaclab", "task": "so101_pick_orange"}
    config = _config(ray_cluster.address, tmp_path / "gpu", env=isaac)
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert "GPU" in status.message and "cluster has 0" in status.message


def test_failed_episodes_count_their_seeds_as_tried_and_stop_the_run(
    ray_cluster: Any, tmp_path: Path
) -> None:
    # A time limit far too short for the task: every episode times out.
    config = _config(ray_cluster.address, tmp_path / "timeouts", episode={"time_s": 0.2})
    config = config.model_copy(update={"max_seed_failures": 3})
    status = FleetRun(config, tmp_path).run()
    assert status.state == "error"
    assert "3 failed seeds in a row" in status.message
    # Exactly the three results that stopped the run count as failed. Seeds still in flight
    # then (each worker holds up to two: the one it records and the next, waiting; which
    # depends on scheduling) are abandoned, neither failed nor saved, and their workers'
    # status still names them.
    failed = sorted(status.seeds_failed)
    assert len(failed) == 3
    abandoned = [s for w in status.workers if w.seed is not None for s in (w.seed, *w.waiting)]
    assert len(abandoned) <= 2 * len(status.workers) and not set(abandoned) & set(failed)
    tried = sorted(failed + abandoned)
    assert tried == list(range(len(tried))), "seeds handed out in order, none skipped or twice"
    assert all("time limit" in why for why in status.seeds_failed.values())
    assert status.episodes_in_dataset == 0
