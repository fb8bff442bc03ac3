"""Contract every `Env` backend must pass, written once and run against each backend.

`mujoco` always runs, in this process and in an env host process (`mujoco-hosted`: the
same env behind the proxy, frames through shared memory). `isaaclab` (always hosted) runs
only where Isaac Sim, Isaac Lab and LeIsaac are installed (an NVIDIA RTX machine); elsewhere
it is skipped with the reason printed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.sim import Env, make_env_config, make_env_from_config

BACKENDS = ("mujoco", "mujoco-hosted", "isaaclab")
CAMERAS = ("front", "wrist")


def _skip_reason(backend: str) -> str | None:
    if backend != "isaaclab":
        return None
    # find_spec, not import: the isaaclab wheel's __init__ boots Isaac Sim (and its EULA).
    missing = [
        m for m in ("isaacsim", "isaaclab", "leisaac") if importlib.util.find_spec(m) is None
    ]
    if missing:
        return (
            f"Isaac Lab not installed ({', '.join(missing)} missing): Isaac Sim needs an NVIDIA "
            "RTX GPU and NVIDIA's package index"
        )
    return None


@pytest.fixture(params=BACKENDS)
def make_env(request: pytest.FixtureRequest) -> Iterator[Callable[..., Env]]:
    backend, _, hosted = str(request.param).partition("-")
    if reason := _skip_reason(backend):
        pytest.skip(reason)
    envs: list[Env] = []

    def make(task: str = "so101_pick_orange", width: int = 32, height: int = 24) -> Env:
        options = {"hosted": True} if hosted else {}
        env = make_env_from_config(
            make_env_config(backend, task=task, camera_width=width, camera_height=height, **options)
        )
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()


def _rest_action() -> np.ndarray:
    return so101.radians_to_normalized(so101.rest_pose_radians())


def test_describes_itself_like_leisaac(make_env: Callable[..., Env]) -> None:
    env = make_env()
    assert isinstance(env, Env)
    assert env.task_name == "so101_pick_orange"
    assert env.task_text == (
        "Pick three oranges and put them into the plate, then reset the arm to rest state."
    )
    assert env.joint_names == so101.JOINT_FEATURE_NAMES
    assert env.robot_type == "so101_follower"
    assert env.fps == 30
    assert tuple(c.name for c in env.cameras) == CAMERAS


def test_reset_and_step_shapes_and_dtypes(make_env: Callable[..., Env]) -> None:
    env = make_env()
    for step in (env.reset(seed=0), env.step(_rest_action())):
        assert step.state.shape == (6,)
        assert step.state.dtype == np.float32
        assert set(step.images) == set(CAMERAS)
        for image in step.images.values():
            assert image.shape == (24, 32, 3)
            assert image.dtype == np.uint8
        assert isinstance(step.success, bool)
        assert np.asarray(step.info["joint_radians"]).shape == (6,)
        assert "orange_1" in step.info["object_positions"]


@pytest.mark.parametrize(("width", "height"), [(64, 48), (40, 56)])
def test_camera_size_follows_config(make_env: Callable[..., Env], width: int, height: int) -> None:
    env = make_env(width=width, height=height)
    assert all((c.height, c.width) == (height, width) for c in env.cameras)
    step = env.reset(seed=1)
    for image in step.images.values():
        assert image.shape == (height, width, 3)
    # A rendered scene, not a blank buffer.
    assert all(float(image.std()) > 5.0 for image in step.images.values())


def test_images_are_never_mutated_by_later_steps(make_env: Callable[..., Env]) -> None:
    env = make_env()
    first = env.reset(seed=0)
    kept = {name: (image, image.copy()) for name, image in first.images.items()}
    moving = _rest_action()
    moving[0] = 40.0  # swing the pan joint so later frames differ
    later = [env.step(moving) for _ in range(5)]
    for name, (reference, snapshot) in kept.items():
        np.testing.assert_array_equal(reference, snapshot)
        assert all(step.images[name] is not reference for step in later)
    assert not np.array_equal(later[-1].images["front"], first.images["front"])


def test_same_seed_same_episode(make_env: Callable[..., Env]) -> None:
    env_a, env_b = make_env(), make_env()
    action = _rest_action()
    action[0] = 25.0
    runs = []
    for env in (env_a, env_b, env_a):
        steps = [env.reset(seed=7)] + [env.step(action) for _ in range(10)]
        runs.append(steps)
    for other in runs[1:]:
        for s1, s2 in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(s1.state, s2.state)
            for name in CAMERAS:
                np.testing.assert_array_equal(s1.images[name], s2.images[name])
            for obj, pos in s1.info["object_positions"].items():
                np.testing.assert_array_equal(pos, s2.info["object_positions"][obj])


def test_different_seeds_move_the_objects(make_env: Callable[..., Env]) -> None:
    env = make_env()
    a = env.reset(seed=1).info["object_positions"]
    b = env.reset(seed=2).info["object_positions"]
    assert any(not np.allclose(a[name], b[name]) for name in a)
    for name in a:  # randomization stays within +-3 cm of the same nominal place
        assert np.all(np.abs(a[name][:2] - b[name][:2]) <= 0.06 + 1e-9)


def test_state_reports_joint_positions_in_normalized_units(make_env: Callable[..., Env]) -> None:
    env = make_env()
    step = env.reset(seed=0)
    np.testing.assert_allclose(
        step.state, so101.radians_to_normalized(step.info["joint_radians"]), atol=1e-4
    )
    # Reset leaves the arm in LeIsaac's rest pose.
    assert so101.at_rest(step.info["joint_radians"], tolerance_deg=3.0)


def test_joint_targets_are_tracked(make_env: Callable[..., Env]) -> None:
    env = make_env()
    env.reset(seed=0)
    target = _rest_action()
    target[0] = 30.0  # shoulder_pan to 33 degrees
    for _ in range(45):
        step = env.step(target)
    assert abs(float(step.state[0]) - 30.0) < 3.0


def test_fresh_episode_is_not_a_success(make_env: Callable[..., Env]) -> None:
    env = make_env()
    assert env.reset(seed=0).success is False
    assert env.step(_rest_action()).success is False


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros(7), np.zeros((1, 6))])
def test_bad_action_shape_is_a_clear_error(make_env: Callable[..., Env], bad: np.ndarray) -> None:
    env = make_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(6,\).*shoulder_pan\.pos"):
        env.step(bad)


def test_non_finite_action_is_a_clear_error(make_env: Callable[..., Env]) -> None:
    env = make_env()
    env.reset(seed=0)
    action = _rest_action()
    action[2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        env.step(action)
