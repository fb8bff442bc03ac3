"""The env host process and its proxy, with real MuJoCo in the child: frames through shared
memory stay valid while referenced, and every way the host can go away is an EnvError."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from leisaac_core import so101
from leisaac_core.sim import EnvError, make_env_config, make_env_from_config
from leisaac_core.sim.host import HostedEnv
from leisaac_core.sim.host.frames import FramePool
from leisaac_core.sim.mujoco.config import MujocoEnvConfig

REPO = Path(__file__).resolve().parents[2]


def _config(**kwargs: object):  # type: ignore[no-untyped-def]
    return make_env_config("mujoco", camera_width=32, camera_height=24, **kwargs)


def _rest() -> np.ndarray:
    return so101.radians_to_normalized(so101.rest_pose_radians())


def test_frames_are_read_only_views_of_shared_memory_and_slots_are_reused() -> None:
    env = HostedEnv(_config())
    try:
        step = env.reset(seed=0)
        image = step.images["front"]
        assert not image.flags.writeable and not image.flags.owndata
        pool = env._host.frames  # type: ignore[union-attr]
        mapped = pool.bytes_mapped
        del step, image
        for _ in range(50):  # nothing kept: the same few slots serve every step
            env.step(_rest())
        assert pool.bytes_mapped == mapped
        kept = [env.step(_rest()) for _ in range(20)]  # kept: the pool grows instead
        assert pool.bytes_mapped > mapped
        fronts = [s.images["front"].copy() for s in kept]
        for _ in range(10):
            env.step(_rest())
        for step, front in zip(kept, fronts, strict=True):
            np.testing.assert_array_equal(step.images["front"], front)
    finally:
        env.close()


def test_a_slot_returns_to_the_pool_only_when_its_last_view_is_gone() -> None:
    announced: list[int] = []
    pool = FramePool(lambda segment, size, fd: announced.append(segment), slots_per_segment=2)
    first = pool.acquire(12)
    view = pool.view(first, (2, 2, 3))
    part = view[1:]  # a view of the view keeps the slot too
    del view
    gc.collect()
    assert pool.slots_free == 1
    del part
    gc.collect()
    assert pool.slots_free == 2 and announced == [0]


def test_a_hung_host_is_stopped_after_the_timeout_and_reset_starts_another() -> None:
    env = HostedEnv(_config(), step_timeout_s=1.0)
    try:
        env.reset(seed=0)
        pid = env.host_pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        with pytest.raises(EnvError, match=r"did not answer 'step' within 1 s.*SIGKILL"):
            env.step(_rest())
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        with pytest.raises(EnvError, match="send 'reset'"):
            env.step(_rest())
        assert env.reset(seed=0).state.shape == (6,)
        assert env.host_pid not in (None, pid)
    finally:
        env.close()


def test_a_failed_build_is_a_clear_error_and_leaves_no_process() -> None:
    before = {p.pid for p in psutil.Process().children()}
    # The config refuses a bad value before any process starts...
    with pytest.raises(ValueError, match="physics_timestep"):
        make_env_from_config(_config(physics_timestep=1.0, hosted=True))
    # ...and a build that fails inside the host (a config that skipped the checks) says why.
    unchecked = MujocoEnvConfig.model_construct(
        task="no_such_task", hosted=True, camera_width=32, camera_height=24
    )
    with pytest.raises(ValueError, match="unknown task 'no_such_task'"):
        make_env_from_config(unchecked)
    time.sleep(0.2)
    assert {p.pid for p in psutil.Process().children()} <= before


def test_the_host_exits_when_its_server_process_is_killed() -> None:
    """No orphaned simulators: the host sees its socket close and exits."""
    script = (
        "import sys, time\n"
        "from leisaac_core.sim import make_env_config, make_env_from_config\n"
        "env = make_env_from_config(make_env_config('mujoco', camera_width=32, "
        "camera_height=24, hosted=True))\n"
        "env.reset(seed=0)\n"
        "print(env.host_pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert server.stdout is not None
        host = psutil.Process(int(server.stdout.readline()))
        server.kill()
        server.wait()
        host.wait(timeout=20)  # raises psutil.TimeoutExpired if the host lingers
    finally:
        server.kill()


def test_closed_env_refuses_reset() -> None:
    env = HostedEnv(_config())
    env.close()
    env.close()  # idempotent
    with pytest.raises(EnvError, match="closed"):
        env.reset(seed=0)
