"""The camera renderer: concurrent per-camera threads, view-frustum culling, far detail.

Culling must never change a pixel and far-detail meshes must stay imperceptible; both are
checked against full renders of the same states along a scripted demonstration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from leisaac_core.sim.mujoco import render
from leisaac_core.sim.mujoco.render import mujoco  # after the GL backend is chosen
from leisaac_core.sim.mujoco.scene import FAR_MESH_CELL_M, ROBOT_XML, far_twins
from leisaac_core.teleop import make_device_config, make_device_from_config


def _states(env, ticks: int = 240, every: int = 40) -> list[np.ndarray]:
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    step = env.reset(seed=1)
    device.reset(1)
    states = []
    for tick in range(ticks):
        step = env.step(device.read(step))
        if tick % every == every - 1:
            states.append(env._data.qpos.copy())
    return states


def _render_all(env, states, width, height, twins, all_drawn=False) -> list[dict]:
    model = env.model
    data = mujoco.MjData(model)
    renderer = render.SceneRenderer(model, env._camera_ids, width, height, twins, FAR_MESH_CELL_M)
    if all_drawn:  # a stand-in mask: everything a default option shows, nothing culled
        for worker in renderer._workers.values():
            worker.draw_mask = lambda data, w=worker: w._drawn.copy()
    images = []
    try:
        for qpos in states:
            data.qpos[:] = qpos
            mujoco.mj_forward(model, data)
            images.append(renderer.render(data))
    finally:
        renderer.close()
    return images


def test_frustum_test_against_a_camera_at_the_origin() -> None:
    """Camera at the origin looking down -z, 90 degrees vertical field of view, square."""
    centers = np.array(
        [
            [0.0, 0.0, -1.0],  # straight ahead
            [0.0, 0.0, 1.0],  # behind
            [3.0, 0.0, -1.0],  # far right of the 45-degree edge
            [1.05, 0.0, -1.0],  # just outside the edge, but its radius reaches in
            [0.0, -5.0, -1.0],  # far below
        ]
    )
    radii = np.array([0.1, 0.1, 0.1, 0.1, 0.1])
    visible, depth = render.frustum_test(centers, radii, np.zeros(3), np.eye(3), 1.0, 1.0, 0.01)
    assert visible.tolist() == [True, False, False, True, False]
    assert depth.tolist() == [1.0, -1.0, 1.0, 1.0, 1.0]


def test_wrist_camera_culls_the_links_behind_it(make_mujoco_env) -> None:
    env = make_mujoco_env(width=64, height=48)
    env.reset(seed=0)
    model = env.model
    twins = far_twins([model.geom(i).name for i in range(model.ngeom)])
    renderer = render.SceneRenderer(model, env._camera_ids, 64, 48, twins, FAR_MESH_CELL_M)
    try:
        drawn = {n: int(w.draw_mask(env._data).sum()) for n, w in renderer._workers.items()}
        shown_by_default = int((model.geom_group < 3).sum())
    finally:
        renderer.close()
    assert drawn["front"] == shown_by_default  # the front camera sees the whole scene
    assert drawn["wrist"] < shown_by_default / 2


def test_culling_never_changes_a_pixel(make_mujoco_env) -> None:
    env = make_mujoco_env(width=160, height=120)
    states = _states(env)
    culled = _render_all(env, states, 160, 120, twins=[])
    full = _render_all(env, states, 160, 120, twins=[], all_drawn=True)
    for ours, reference in zip(culled, full, strict=True):
        for camera in ours:
            np.testing.assert_array_equal(ours[camera], reference[camera])


def test_far_detail_is_used_far_away_and_stays_imperceptible(make_mujoco_env) -> None:
    """At 160x120 the front camera's pixels are coarse enough that every robot part is drawn
    from its far-detail mesh; the picture differs from full detail by under one grey level
    on average and in under 2 % of pixels by more than a faint edge."""
    env = make_mujoco_env(width=160, height=120)
    model = env.model
    twins = far_twins([model.geom(i).name for i in range(model.ngeom)])
    assert len(twins) == int(((model.geom_group == 2) & (model.geom_type == 7)).sum()) > 10
    states = _states(env)
    data = mujoco.MjData(model)
    data.qpos[:] = states[0]
    mujoco.mj_forward(model, data)
    renderer = render.SceneRenderer(model, env._camera_ids, 160, 120, twins, FAR_MESH_CELL_M)
    try:
        far_ids = [far for _, far in twins]
        assert renderer._workers["front"].draw_mask(data)[far_ids].all()
    finally:
        renderer.close()
    detailed = _render_all(env, states, 160, 120, twins=[])
    lod = _render_all(env, states, 160, 120, twins=twins)
    for ours, reference in zip(lod, detailed, strict=True):
        diff = np.abs(ours["front"].astype(int) - reference["front"])
        assert diff.mean() < 1.0
        assert (diff.max(axis=2) > 40).mean() < 0.02


def test_far_twins_add_no_mass_and_no_contacts(make_mujoco_env) -> None:
    env = make_mujoco_env()
    model = env.model
    twins = far_twins([model.geom(i).name for i in range(model.ngeom)])
    far = [f for _, f in twins]
    assert (model.geom_contype[far] == 0).all() and (model.geom_conaffinity[far] == 0).all()
    assert (model.geom_group[far] == 4).all()  # hidden from any default-option renderer
    # Bodies' inertia is explicit in the robot model, so twins cannot change it.
    bodies = [b for b in ET.parse(ROBOT_XML).getroot().iter("body")]
    assert bodies and all(b.find("inertial") is not None for b in bodies)


@pytest.mark.skipif(
    os.environ.get("MUJOCO_GL", "egl") != "egl", reason="separate displays are an EGL matter"
)
def test_cameras_render_in_threads_of_their_own_on_separate_egl_displays(
    make_mujoco_env,
) -> None:
    """Mesa serializes rasterization of contexts on one display; the cameras must each get
    one (the device display and Mesa's surfaceless one) to render at the same time."""
    env = make_mujoco_env()
    env.reset(seed=0)
    names = {t.name for t in threading.enumerate()}
    assert sum(n.startswith("render-cam") for n in names) == 2
    displays = render._egl_displays()
    if len(displays) < 2:
        pytest.skip("this EGL driver offers one display only (not Mesa): cameras share it")
    contexts = [w._context for w in env._renderer._workers.values()]
    assert len({id(c._display) for c in contexts}) == 2


def test_a_failed_gl_setup_fails_every_later_reset_without_hanging() -> None:
    """MuJoCo aborts the process (or hangs a thread) when a second mjr_makeContext follows a
    failed one, so the first failure must be final. Provoked for real in a subprocess:
    `mujoco` imported first with MUJOCO_GL unset picks GLFW, which has no display here."""
    code = (
        "import mujoco\n"
        "from leisaac_core.sim import EnvError, make_env_config, make_env_from_config\n"
        "for attempt in range(2):\n"
        "    env = make_env_from_config(make_env_config('mujoco', camera_width=16, "
        "camera_height=16))\n"
        "    try:\n"
        "        env.reset(seed=0)\n"
        "    except EnvError as exc:\n"
        "        print('EnvError', attempt, str(exc)[:300])\n"
        "    env.close()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("EnvError")]
    assert [line.split()[1] for line in lines] == ["0", "1"]
    assert "MUJOCO_GL" in lines[0]
    assert "earlier attempt" in lines[1]
