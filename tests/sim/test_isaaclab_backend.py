"""Isaac Lab backend: what can be checked without Isaac Lab, plus Isaac-only checks.

Isaac Sim needs an RTX GPU and NVIDIA's package index, neither of which exist on the machines
this project is developed and tested on; the Isaac-only tests skip there and say why.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.sim import EnvError, make_env_config, make_env_from_config
from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig, leisaac_task_id


def _isaaclab_missing_reason() -> str | None:
    # find_spec, not import: the isaaclab wheel's __init__ boots Isaac Sim (and its EULA).
    missing = [
        m for m in ("isaacsim", "isaaclab", "leisaac") if importlib.util.find_spec(m) is None
    ]
    if missing:
        return (
            f"Isaac Lab is not installed here ({', '.join(missing)} missing); these tests need "
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
        ("bi_so101_clean_toy_table", "LeIsaac-SO101-CleanToyTable-BiArm-v0"),
        ("LeIsaac-SO101-FoldCloth-BiArm-v0", "LeIsaac-SO101-FoldCloth-BiArm-v0"),
        ("LeIsaac-SO101-AssembleHamburger-BiArm-v0", "LeIsaac-SO101-AssembleHamburger-BiArm-v0"),
    ],
)
def test_task_names_map_to_leisaac_ids(task: str, task_id: str) -> None:
    assert leisaac_task_id(task) == task_id
    assert IsaacLabEnvConfig(task=task).task_id == task_id


@pytest.mark.parametrize(
    ("task", "reason"),
    [
        ("LeIsaac-LeKiwi-CleanupTrash-v0", "not an SO-101 arm task"),
        ("LeIsaac-SO101-CleanToyTable-BiArm-Direct-v0", "DirectRLEnv"),
        ("LeIsaac-SO101-PickOrange-Direct-v0", "DirectRLEnv"),
        ("LeIsaac-SO101-LiftCube-Direct-v0", "DirectRLEnv"),
        ("LeIsaac-SO101-PickOrange-Mimic-v0", "Mimic"),
        ("LeIsaac-SO101-LiftCube-DigitalTwin-v0", "green-screen"),
    ],
)
def test_tasks_the_backend_cannot_run_are_refused_with_the_reason(task: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        IsaacLabEnvConfig(task=task)


@pytest.mark.parametrize("fps", [25, 50, 90, 120, 240])
def test_fps_that_does_not_divide_the_physics_rate_is_refused(fps: int) -> None:
    with pytest.raises(ValueError, match="60 Hz physics rate.*30, 60"):
        IsaacLabEnvConfig(fps=fps)


@pytest.mark.parametrize("fps", [10, 15, 20, 30, 60])
def test_fps_that_divides_the_physics_rate_is_accepted(fps: int) -> None:
    assert IsaacLabEnvConfig(fps=fps).fps == fps


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
    """The env host process starts, cannot build the env, and says why; nothing heavy loads
    in this process."""
    with pytest.raises(EnvError) as info:
        make_env_from_config(IsaacLabEnvConfig())
    message = str(info.value)
    assert "Isaac Lab 2.3" in message
    assert "README GPU section" in message
    assert "torch" not in sys.modules  # the failed start did not drag torch in


def test_isaac_lab_never_runs_in_the_calling_process() -> None:
    with pytest.raises(ValueError, match="own env host process"):
        make_env_from_config(IsaacLabEnvConfig(hosted=False))


def test_isaac_env_refuses_a_worker_thread() -> None:
    """Kit must own the main thread of its process (review B7)."""
    from leisaac_core.sim.isaaclab.env import IsaacLabEnv

    errors: list[BaseException] = []

    def build() -> None:
        try:
            IsaacLabEnv(IsaacLabEnvConfig())
        except BaseException as exc:  # noqa: BLE001 - reported through the list
            errors.append(exc)

    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], EnvError)
    assert "main thread" in str(errors[0])


# -- LeIsaac's assets (review B4) -------------------------------------------------------------


def test_assets_root_comes_from_the_variable(tmp_path: Path) -> None:
    from leisaac_core.sim.isaaclab.env import resolve_assets_root

    assert resolve_assets_root({"LEISAAC_ASSETS_ROOT": str(tmp_path)}, None) == tmp_path.resolve()
    with pytest.raises(EnvError, match="not a directory"):
        resolve_assets_root({"LEISAAC_ASSETS_ROOT": str(tmp_path / "nope")}, None)


def test_assets_root_is_found_next_to_a_leisaac_checkout(tmp_path: Path) -> None:
    from leisaac_core.sim.isaaclab.env import resolve_assets_root

    package = tmp_path / "leisaac" / "source" / "leisaac" / "leisaac"
    package.mkdir(parents=True)
    (tmp_path / "leisaac" / "assets").mkdir()
    assert resolve_assets_root({}, package) == (tmp_path / "leisaac" / "assets").resolve()


def test_missing_assets_name_the_variable(tmp_path: Path) -> None:
    from leisaac_core.sim.isaaclab.env import resolve_assets_root

    site_packages = tmp_path / "lib" / "python3.11" / "site-packages" / "leisaac"
    site_packages.mkdir(parents=True)
    for package_dir in (None, site_packages):
        with pytest.raises(EnvError, match="set LEISAAC_ASSETS_ROOT"):
            resolve_assets_root({}, package_dir)


# -- the pieces that adapt a LeIsaac env cfg (stand-ins: no Isaac Lab can run here) ----------


def _fake_leisaac_env_cfg(success_rule: object) -> SimpleNamespace:
    """A stand-in with the attributes of a LeIsaac single-arm env cfg that we touch.

    Used because Isaac Lab cannot run here; the attribute names follow LeIsaac's
    SingleArmTaskEnvCfg (scene.front/wrist TiledCameraCfg, terminations.time_out/success).
    """
    cfg = SimpleNamespace(
        recorders=object(),
        rerender_on_reset=False,
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
    assert cfg.terminations.success.func is not None and probe is not None
    assert cfg.rerender_on_reset is True  # the reset frame is rendered after the reset (W1)


def test_success_probe_observes_success_without_terminating_the_episode() -> None:
    """Isaac Lab resets an env whose termination fires; the term must report 'not done'.
    (Stand-in rule and numpy for torch; tests/isaaclab_real runs this in Isaac Lab's manager.)"""
    from leisaac_core.sim.isaaclab.env import _configure

    verdict = {"value": False}
    cfg = _fake_leisaac_env_cfg(lambda env, **params: np.array([verdict["value"]]))
    probe = _configure(cfg, IsaacLabEnvConfig(), torch=np)
    assert probe is not None
    term = cfg.terminations.success.func

    assert not term(env=None).any()
    assert probe.latest is False
    verdict["value"] = True
    assert not term(env=None).any()  # the termination manager sees "not terminated"
    assert probe.latest is True


def test_success_term_keeps_the_rule_signature_and_survives_deepcopy() -> None:
    """Isaac Lab checks a term's signature against its params and deep-copies its cfg."""
    import copy
    import inspect

    from leisaac_core.sim.isaaclab.env import make_success_term

    def task_done(env, oranges_cfg, plate_cfg, x_range=(-0.1, 0.1)):  # LeIsaac's shape
        return np.array([True])

    term, probe = make_success_term(task_done, torch=np)
    assert list(inspect.signature(term).parameters) == [
        "env",
        "oranges_cfg",
        "plate_cfg",
        "x_range",
    ]
    copied = copy.deepcopy(term)
    copied(None, oranges_cfg=[], plate_cfg=None)
    assert probe.latest is True


@pytest.mark.parametrize(("sim_dt", "fps", "decimation"), [(1 / 60, 30, 2), (1 / 60, 60, 1)])
def test_control_decimation(sim_dt: float, fps: int, decimation: int) -> None:
    from leisaac_core.sim.isaaclab.env import control_decimation

    assert control_decimation(sim_dt, fps) == decimation


@pytest.mark.parametrize(("sim_dt", "fps"), [(1 / 60, 25), (1 / 60, 120), (1 / 50, 30)])
def test_control_decimation_refuses_fractional_periods(sim_dt: float, fps: int) -> None:
    from leisaac_core.sim.isaaclab.env import control_decimation

    with pytest.raises(EnvError, match="whole number of the task's physics steps"):
        control_decimation(sim_dt, fps)


@pytest.mark.parametrize(
    ("task", "ours"),
    [
        ("LeIsaac-SO101-CleanToyTable-BiArm-v0", "bi_so101_clean_toy_table"),
        ("LeIsaac-SO101-CleanToyTable-v0", "so101_clean_toy_table"),
        ("LeIsaac-SO101-PickOrange-v0", "so101_pick_orange"),
    ],
)
def test_leisaac_layouts_give_the_embedded_tasks_features(task: str, ours: str) -> None:
    """The same joints (lerobot's bimanual names for two arms), cameras and robot as the
    MuJoCo replica of the task, so datasets of both backends have one shape."""
    from leisaac_core.sim.isaaclab.layout import layout_of
    from leisaac_core.tasks import get_task

    layout, spec = layout_of(task), get_task(ours)
    assert layout.joint_names == spec.joint_feature_names
    assert layout.cameras == spec.camera_names
    assert layout.robot_type == spec.robot_type
    assert layout.action_dim == 6 * len(spec.arms)


def test_two_arm_layout_is_leisaacs_bimanual_scene() -> None:
    from leisaac_core.sim.isaaclab.layout import layout_of

    layout = layout_of("LeIsaac-SO101-FoldCloth-BiArm-v0")
    assert layout.arms == (("left", "left_arm"), ("right", "right_arm"))
    assert layout.teleop_device == "bi-so101leader"  # absolute joint targets, 12 of them


def test_configure_adapts_a_two_arm_cfg() -> None:
    """Stand-in cfg with LeIsaac's BiArmTaskSceneCfg camera names (no Isaac Lab here)."""
    from leisaac_core.sim.isaaclab.env import _configure

    cfg = _fake_leisaac_env_cfg(lambda env: np.array([False]))
    camera = {"width": 640, "height": 480, "update_period": 1 / 30}
    cfg.scene = SimpleNamespace(
        left_wrist=SimpleNamespace(**camera),
        right_wrist=SimpleNamespace(**camera),
        top=SimpleNamespace(**camera),
    )
    config = IsaacLabEnvConfig(task="bi_so101_clean_toy_table", camera_width=320, camera_height=240)
    _configure(cfg, config, torch=np)
    assert cfg.teleop_device == "bi-so101leader"
    for name in ("left_wrist", "right_wrist", "top"):
        assert (getattr(cfg.scene, name).width, getattr(cfg.scene, name).height) == (320, 240)
        assert getattr(cfg.scene, name).update_period == 0.0


def test_joint_index_names_the_arm_that_lacks_joints() -> None:
    from leisaac_core.sim.isaaclab.env import joint_index

    joints = ["gripper", "wrist_roll", "wrist_flex", "elbow_flex", "shoulder_lift", "shoulder_pan"]
    assert joint_index("T", "left_arm", joints) == [5, 4, 3, 2, 1, 0]
    with pytest.raises(EnvError, match="right_arm lacks SO-101 joints \\['gripper'\\]"):
        joint_index("T", "right_arm", joints[1:])


def test_two_leaders_on_an_isaac_lab_two_arm_task() -> None:
    from leisaac_core.session import SessionConfig

    config = SessionConfig.model_validate(
        {
            "env": {"type": "isaaclab", "task": "LeIsaac-SO101-CleanToyTable-BiArm-v0"},
            "devices": [
                {"type": "so101_leader", "arm": "left", "port": "/dev/ttyACM0"},
                {"type": "so101_leader", "arm": "right", "port": "/dev/ttyACM1"},
            ],
            "dataset": {"repo_id": "op/isaac-two"},
        }
    )
    assert config.driver == "bi_so101_leader" and config.robot_identity == "leisaac"


def test_task_without_success_term_gives_no_probe() -> None:
    from leisaac_core.sim.isaaclab.env import _configure

    cfg = _fake_leisaac_env_cfg(None)
    cfg.terminations.success = None
    assert _configure(cfg, IsaacLabEnvConfig(), torch=np) is None


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
