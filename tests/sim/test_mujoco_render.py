"""The camera renderer: concurrent per-camera threads, view-frustum culling, far detail,
24-bit depth and the fixed camera's backdrop.

Culling must never change a pixel; far-detail meshes, the depth format and drawing only the
moving parts' window over a backdrop must stay imperceptible. Each is checked against full
renders of the same states along scripted demonstrations.
"""

from __future__ import annotations

import copy
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


def _render_all(
    env, states, width, height, twins, all_drawn=False, backdrop=True, depth24=True
) -> list[dict]:
    model = env.model
    data = mujoco.MjData(model)
    renderer = render.SceneRenderer(model, env._camera_ids, width, height, twins, FAR_MESH_CELL_M)
    for worker in renderer._workers.values():
        if all_drawn:  # a stand-in mask: everything a default option shows, nothing culled
            worker.draw_mask = lambda data, w=worker: w._drawn.copy()
        worker._use_backdrop = backdrop
        worker._depth24 = depth24
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
    # Without the backdrop: its window grows with the geoms drawn, which moves edge pixels.
    culled = _render_all(env, states, 160, 120, twins=[], backdrop=False)
    full = _render_all(env, states, 160, 120, twins=[], all_drawn=True, backdrop=False)
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


def test_sphere_window_holds_every_point_of_the_spheres_and_little_more() -> None:
    """Against brute force: points on each sphere's surface projected like MuJoCo's camera
    (looking down -z, 60 degree vertical field of view, 4:3 pixels)."""
    rng = np.random.default_rng(0)
    width, height, tan = 320, 240, float(np.tan(np.radians(30)))
    for _ in range(50):
        n = int(rng.integers(1, 5))
        radii = rng.uniform(0.01, 0.15, n)
        depth = rng.uniform(0.3, 1.5, n)
        centers = np.c_[rng.uniform(-0.5, 0.5, (n, 2)) * depth[:, None], -depth]
        left, top, right, bottom = render.sphere_window(centers, radii, tan, width, height)
        directions = rng.normal(size=(4000, 3))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        points = (centers[:, None, :] + radii[:, None, None] * directions[None]).reshape(-1, 3)
        cols = width / 2 * (1 + points[:, 0] / -points[:, 2] / (tan * width / height))
        rows = height / 2 * (1 - points[:, 1] / -points[:, 2] / tan)
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        if not inside.any():
            continue
        cols, rows = cols[inside], rows[inside]
        assert left <= cols.min() and cols.max() <= right
        assert top <= rows.min() and rows.max() <= bottom
        # Tight: no more than the margin plus a pixel of rounding beyond the sampled extremes.
        slack = 2 + 2  # _WINDOW_MARGIN_PX + rounding and sampling
        assert left >= max(cols.min() - slack, 0) - 1e-9 or left == 0
        assert right <= min(cols.max() + slack, width) + 1e-9
        assert top >= max(rows.min() - slack, 0) - 1e-9 or top == 0
        assert bottom <= min(rows.max() + slack, height) + 1e-9
    # A sphere reaching behind the eye can cover anything.
    behind = render.sphere_window(np.array([[0.0, 0.0, -0.05]]), np.array([0.1]), tan, 32, 24)
    assert behind == (0, 0, 32, 24)


def test_only_the_front_camera_keeps_a_backdrop(make_mujoco_env) -> None:
    """The front camera hangs from the world; the wrist camera rides on the arm."""
    env = make_mujoco_env(width=64, height=48)
    env.reset(seed=0)
    workers = env._renderer._workers
    if not workers["front"]._framebuffer.software:
        pytest.skip("a GPU draws whole frames: the backdrop is for CPU rasterizers")
    assert workers["front"]._fixed_view and workers["front"]._backdrop is not None
    assert not workers["wrist"]._fixed_view and workers["wrist"]._backdrop is None
    moving = {env.model.geom(i).name for i in np.flatnonzero(workers["front"]._moving)}
    assert {"orange_1", "gripper/visual0"} <= moving and not {"table", "plate"} & moving


def test_backdrop_and_depth_buffer_leave_the_picture_as_it_was(make_mujoco_env) -> None:
    """Frames from the shipped renderer (24-bit depth; the front camera draws the moving
    parts' window over a backdrop of the fixed parts) against full frames in MuJoCo's own
    buffers, along demonstrations with two seeds: the second seed moves the plate and the
    front camera, so a backdrop kept from the first episode would show the plate twice.
    A window edge may flip a pixel whose centre a triangle's edge grazes: allowed on at most
    a few pixels a frame."""
    env = make_mujoco_env(width=320, height=240)
    env.reset(seed=0)
    if not env._renderer._workers["front"]._framebuffer.software:
        pytest.skip("a GPU draws whole frames: the backdrop is for CPU rasterizers")
    states = {seed: [] for seed in (1, 4)}
    for seed in states:
        device = make_device_from_config(make_device_config("scripted"))
        device.connect(env)
        step = env.reset(seed=seed)
        device.reset(seed)
        shipped = [step.images["front"].copy()]
        windows = []
        front = env._renderer._workers["front"]
        backdrop = front._backdrop.copy()
        states[seed].append((copy.copy(env._data), shipped[0]))
        for tick in range(240):
            step = env.step(device.read(step))
            if tick % 40 == 39:
                left, top, right, bottom = front.window(env._data, front.draw_mask(env._data))
                windows.append((right - left) * (bottom - top) / (320 * 240))
                states[seed].append((copy.copy(env._data), step.images["front"].copy()))
        assert min(windows) < 0.5  # the window really is a part of the image
        states[seed].append(backdrop)
    backdrops = [states[seed].pop() for seed in states]
    assert np.abs(backdrops[0].astype(int) - backdrops[1]).max() > 100  # redrawn on reset
    reference = render.SceneRenderer(env.model, env._camera_ids, 320, 240, [], FAR_MESH_CELL_M)
    try:
        for worker in reference._workers.values():
            worker._use_backdrop = False
            worker._depth24 = False
            worker._far_cell_m = 0.0  # the env's far twins are in its masks; keep them equal
        reference._workers["front"].draw_mask = env._renderer._workers["front"].draw_mask
        for seed, frames in states.items():
            for data, image in frames:  # poses as rendered (a step leaves them a substep behind)
                full = reference.render(data)["front"]
                diff = np.abs(image.astype(int) - full).max(axis=2)
                assert diff.mean() < 0.05, seed
                assert (diff > 2).sum() <= 4, seed
    finally:
        reference.close()


def test_the_framebuffer_has_a_24_bit_depth_buffer_and_no_stencil(make_mujoco_env) -> None:
    env = make_mujoco_env(width=64, height=48)
    env.reset(seed=0)
    worker = env._renderer._workers["front"]

    def sizes() -> tuple[int, int]:
        from OpenGL import GL

        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, worker._mjr.offFBO)
        depth = GL.glGetFramebufferAttachmentParameteriv(
            GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_FRAMEBUFFER_ATTACHMENT_DEPTH_SIZE
        )
        stencil = GL.glGetRenderbufferParameteriv(
            GL.GL_RENDERBUFFER, GL.GL_RENDERBUFFER_STENCIL_SIZE
        )
        return int(depth), int(stencil)

    assert worker._executor.submit(sizes).result() == (24, 0)


def test_without_pyopengl_the_renderer_draws_whole_frames_in_mujocos_buffers(
    make_mujoco_env, monkeypatch
) -> None:
    """PyOpenGL comes with mujoco, but a broken install must only cost speed."""
    env = make_mujoco_env(width=160, height=120)
    shipped = env.reset(seed=2).images["front"].copy()
    env.close()
    monkeypatch.setitem(sys.modules, "OpenGL", None)  # `from OpenGL import GL` now fails
    image = env.reset(seed=2).images["front"]  # a new renderer, set up without PyOpenGL
    front = env._renderer._workers["front"]
    assert not front._framebuffer.resizable and front._backdrop is None
    diff = np.abs(image.astype(int) - shipped).max(axis=2)
    assert diff.mean() < 0.05 and (diff > 2).sum() <= 4


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
