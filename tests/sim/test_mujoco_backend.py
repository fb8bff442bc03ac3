"""MuJoCo-specific behaviour: physics substeps, rendering thread, GL backend, errors."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.sim import EnvError
from leisaac_core.sim.mujoco import gl


def test_substeps_make_one_step_one_control_period(make_mujoco_env) -> None:
    env = make_mujoco_env()
    t0 = env.reset(seed=0).info["sim_time"]
    rest = so101.radians_to_normalized(so101.rest_pose_radians())
    t1 = env.step(rest).info["sim_time"]
    assert env.substeps == 17  # 2 ms timestep at 30 fps, rounded to divide the period
    assert t1 - t0 == pytest.approx(1 / 30, abs=1e-9)


def test_step_before_reset_is_a_clear_error(make_mujoco_env) -> None:
    env = make_mujoco_env()
    with pytest.raises(EnvError, match="reset"):
        env.step(np.zeros(6))


def test_unknown_task_is_refused(make_mujoco_env) -> None:
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        make_mujoco_env("nope")


def test_any_one_thread_may_reset_step_and_close(make_mujoco_env) -> None:
    """The cameras render in threads the env owns, so the env is not tied to the thread that
    first rendered: reset in one thread, step in another, close in a third."""
    env = make_mujoco_env()
    rest = so101.radians_to_normalized(so101.rest_pose_radians())
    result: dict[str, np.ndarray] = {}

    def reset() -> None:
        result["reset"] = env.reset(seed=0).images["front"]

    thread = threading.Thread(target=reset)
    thread.start()
    thread.join()
    stepped = env.step(rest).images["front"]
    closer = threading.Thread(target=env.close)
    closer.start()
    closer.join()
    assert float(result["reset"].std()) > 5.0
    assert stepped.shape == result["reset"].shape and float(stepped.std()) > 5.0
    assert not [t for t in threading.enumerate() if t.name.startswith("render-cam")]


def test_close_frees_the_renderer_and_a_new_reset_recreates_it(make_mujoco_env) -> None:
    env = make_mujoco_env()
    first = env.reset(seed=3).images["front"].copy()
    env.close()
    env.close()  # idempotent
    np.testing.assert_array_equal(env.reset(seed=3).images["front"], first)


def test_gl_backend_defaults_to_egl_when_unset() -> None:
    """A fresh process without MUJOCO_GL picks EGL (installed here) and renders."""
    code = (
        "import os, logging; logging.basicConfig(level=logging.INFO);"
        "from leisaac_core.sim import make_env_config, make_env_from_config;"
        "env = make_env_from_config(make_env_config('mujoco', camera_width=16, "
        "camera_height=16)); env.reset(seed=0); env.close();"
        "print('MUJOCO_GL=' + os.environ['MUJOCO_GL'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "MUJOCO_GL=egl" in proc.stdout
    assert "MuJoCo rendering backend: MUJOCO_GL=egl" in proc.stderr


def test_no_working_gl_backend_names_the_packages_to_install(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Uses a stand-in probe: making EGL and OSMesa fail for real would need uninstalling
    system packages. The real probes run in test_gl_backend_defaults_to_egl_when_unset."""
    backend, failure = gl.choose_backend(lambda name: f"{name} library missing")
    assert backend == "egl"
    assert failure is not None
    assert "egl library missing" in failure and "osmesa library missing" in failure
    assert "libegl1 libegl-mesa0 libgl1-mesa-dri" in failure and "libosmesa6" in failure


def test_egl_failure_falls_back_to_osmesa_with_a_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Stand-in probe as above: EGL fails, OSMesa works."""
    with caplog.at_level(logging.WARNING):
        backend, failure = gl.choose_backend(lambda name: "no EGL" if name == "egl" else None)
    assert (backend, failure) == ("osmesa", None)
    assert "falling back to MUJOCO_GL=osmesa" in caplog.text
