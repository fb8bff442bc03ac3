"""Isaac Lab backend: what can be checked without Isaac Lab, plus Isaac-only checks.

Isaac Sim needs an RTX GPU and NVIDIA's package index, neither of which exist on the machines
this project is developed and tested on; the Isaac-only tests skip there and say why.
"""

from __future__ import annotations

import importlib
import json
import signal
import subprocess
import sys
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.sim import EnvError, make_env_config, make_env_from_config
from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig, leisaac_task_id


def _isaaclab_missing_reason() -> str | None:
    try:
        importlib.import_module("isaaclab")
    except ImportError as exc:
        return (
            f"Isaac Lab is not installed here (import isaaclab failed: {exc}); these tests need "
            "an RTX GPU with Isaac Lab 2.3 + LeIsaac"
        )
    return None


ISAACLAB_MISSING = _isaaclab_missing_reason()


# -- task names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "task_id"),
    [
        ("so101_pick_orange", "LeIsaac-SO101-PickOrange-v0"),
        ("so101_lift_cube", "LeIsaac-SO101-LiftCube-v0"),
        ("LeIsaac-SO101-CleanToyTable-v0", "LeIsaac-SO101-CleanToyTable-v0"),
        ("LeIsaac-SO101-PickOrange-v0", "LeIsaac-SO101-PickOrange-v0"),
    ],
)
def test_task_names_map_to_leisaac_ids(task: str, task_id: str) -> None:
    assert leisaac_task_id(task) == task_id
    assert IsaacLabEnvConfig(task=task).task_id == task_id


@pytest.mark.parametrize(
    "task", ["LeIsaac-SO101-FoldCloth-BiArm-v0", "LeIsaac-LeKiwi-CleanupTrash-v0"]
)
def test_tasks_that_are_not_one_so101_arm_are_refused(task: str) -> None:
    with pytest.raises(ValueError, match="single SO-101 arm"):
        IsaacLabEnvConfig(task=task)


def test_unknown_task_lists_the_valid_names() -> None:
    with pytest.raises(ValueError, match="so101_pick_orange"):
        make_env_config("isaaclab", task="pick_banana")


@pytest.mark.parametrize(
    "kwargs", [{"device": "gpu0"}, {"fps": 0}, {"camera_width": 4, "camera_height": 480}]
)
def test_bad_config_values_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        IsaacLabEnvConfig(**kwargs)  # type: ignore[arg-type]


# -- import hygiene --------------------------------------------------------------------------

_IMPORT_PROBE = """
import json, sys

HEAVY = {"torch", "isaaclab", "isaaclab_tasks", "isaacsim", "gymnasium", "omni", "leisaac"}
attempted = set()

class Recorder:
    # Records every attempt to import a heavy package, installed or not.
    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in HEAVY:
            attempted.add(top)
        return None

sys.meta_path.insert(0, Recorder())

import leisaac_core.sim
from leisaac_core.sim import make_env_config
from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig
import leisaac_core.sim.isaaclab.env

IsaacLabEnvConfig()
make_env_config("isaaclab", task="so101_lift_cube")
print(json.dumps(sorted(attempted)))
"""


def test_importing_the_backend_and_config_imports_no_heavy_package() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True
    )
    attempted = json.loads(out.stdout.strip().splitlines()[-1])
    assert attempted == [], f"importing the isaaclab backend tried to import {attempted}"


# -- the clear error where Isaac Lab is missing ----------------------------------------------


@pytest.mark.skipif(ISAACLAB_MISSING is None, reason="Isaac Lab is installed here")
def test_creating_the_env_without_isaac_lab_raises_a_clear_env_error() -> None:
    with pytest.raises(EnvError) as info:
        make_env_from_config(IsaacLabEnvConfig())
    message = str(info.value)
    assert "Isaac Lab 2.3" in message
    assert "README GPU section" in message
    assert "torch" not in sys.modules  # the failed start did not drag torch in


# -- the pieces that adapt a LeIsaac env cfg (stand-ins: no Isaac Lab can run here) ----------


def _fake_leisaac_env_cfg(success_rule: object) -> SimpleNamespace:
    """A stand-in with the attributes of a LeIsaac single-arm env cfg that we touch.

    Used because Isaac Lab cannot run here; the attribute names follow LeIsaac's
    SingleArmTaskEnvCfg (scene.front/wrist TiledCameraCfg, terminations.time_out/success).
    """
    cfg = SimpleNamespace(
        recorders=object(),
        decimation=1,
        sim=SimpleNamespace(dt=1 / 60, render_interval=1),
        scene=SimpleNamespace(
            front=SimpleNamespace(width=640, height=480, update_period=1 / 30),
            wrist=SimpleNamespace(width=640, height=480, update_period=1 / 30),
        ),
        terminations=SimpleNamespace(
            time_out=SimpleNamespace(func=lambda env: None),
            success=SimpleNamespace(func=success_rule),
        ),
        teleop_device=None,
    )
    cfg.use_teleop_device = lambda device: setattr(cfg, "teleop_device", device)
    return cfg


def test_configure_adapts_the_leisaac_cfg_to_one_step_per_control_tick() -> None:
    from leisaac_core.sim.isaaclab.env import _configure

    cfg = _fake_leisaac_env_cfg(lambda env: np.array([False]))
    config = IsaacLabEnvConfig(fps=30, camera_width=320, camera_height=240)
    probe = _configure(cfg, config, torch=np)

    assert cfg.teleop_device == "so101leader"  # absolute joint-position actions
    assert cfg.recorders is None
    assert cfg.decimation == 2 and cfg.sim.render_interval == 2  # 2 x 1/60 s = 1/30 s
    assert (cfg.scene.front.width, cfg.scene.front.height) == (320, 240)
    assert (cfg.scene.wrist.width, cfg.scene.wrist.height) == (320, 240)
    assert cfg.scene.front.update_period == 0.0
    assert cfg.terminations.time_out is None
    assert cfg.terminations.success.func is probe


def test_success_probe_observes_success_without_terminating_the_episode() -> None:
    """Isaac Lab resets an env whose termination fires; the probe must report 'not done'."""
    from leisaac_core.sim.isaaclab.env import _configure

    verdict = {"value": False}
    cfg = _fake_leisaac_env_cfg(lambda env, **params: np.array([verdict["value"]]))
    probe = _configure(cfg, IsaacLabEnvConfig(), torch=np)
    assert probe is not None

    assert not probe(env=None).any()
    assert probe.latest is False
    verdict["value"] = True
    assert not probe(env=None).any()  # the termination manager sees "not terminated"
    assert probe.latest is True


def test_task_without_success_term_gives_no_probe() -> None:
    from leisaac_core.sim.isaaclab.env import _configure

    cfg = _fake_leisaac_env_cfg(None)
    cfg.terminations.success = None
    assert _configure(cfg, IsaacLabEnvConfig(), torch=np) is None


def test_app_start_in_a_worker_thread_keeps_the_host_signal_handlers() -> None:
    from leisaac_core.sim.isaaclab.env import _host_signal_handlers_kept

    before = signal.getsignal(signal.SIGTERM)
    errors: list[BaseException] = []

    def start_like_app_launcher() -> None:
        try:
            with _host_signal_handlers_kept():
                signal.signal(signal.SIGTERM, lambda *_: None)  # what AppLauncher does
        except BaseException as exc:  # noqa: BLE001 - reported through the list
            errors.append(exc)

    worker = threading.Thread(target=start_like_app_launcher)
    worker.start()
    worker.join()
    assert errors == []
    assert signal.getsignal(signal.SIGTERM) is before


# -- Isaac-only: the real env ----------------------------------------------------------------


@pytest.fixture(scope="module")
def isaac_env():  # type: ignore[no-untyped-def]
    if ISAACLAB_MISSING:
        pytest.skip(ISAACLAB_MISSING)
    env = make_env_from_config(IsaacLabEnvConfig(task="so101_pick_orange"))
    yield env
    env.close()


def test_isaac_reset_gives_state_and_camera_images(isaac_env) -> None:  # type: ignore[no-untyped-def]
    step = isaac_env.reset(seed=0)
    assert step.state.shape == (6,) and step.state.dtype == np.float32
    assert {c.name for c in isaac_env.cameras} == {"front", "wrist"}
    for cam in isaac_env.cameras:
        image = step.images[cam.name]
        assert image.shape == (cam.height, cam.width, 3) and image.dtype == np.uint8
    assert step.success is False
    assert isaac_env.backend == "isaaclab"
    assert isaac_env.joint_names == so101.JOINT_FEATURE_NAMES


def test_isaac_step_drives_joints_toward_the_target(isaac_env) -> None:  # type: ignore[no-untyped-def]
    isaac_env.reset(seed=1)
    target = so101.radians_to_normalized(so101.rest_pose_radians())
    for _ in range(60):
        step = isaac_env.step(target)
    assert np.allclose(step.state[:5], target[:5], atol=10.0)


def test_isaac_images_are_private_copies(isaac_env) -> None:  # type: ignore[no-untyped-def]
    first = isaac_env.reset(seed=2).images["front"]
    kept = first.copy()
    isaac_env.step(so101.radians_to_normalized(so101.rest_pose_radians()))
    assert np.array_equal(first, kept)
