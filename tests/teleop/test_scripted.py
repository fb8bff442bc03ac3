"""Scripted demonstrator against the real MuJoCo env (small cameras: size does not matter)."""

from __future__ import annotations

import numpy as np
import pytest

from leisaac_core import so101
from leisaac_core.sim import Env
from leisaac_core.tasks import get_task
from leisaac_core.teleop import DeviceError, make_device_config, make_device_from_config


def _run_episode(env: Env, device, seed: int, max_ticks: int | None = None):
    """Run until success or the task's time limit; return (success, ticks, actions, step)."""
    step = env.reset(seed=seed)
    device.reset(seed)
    limit = max_ticks or int(get_task(env.task_name).episode_time_s * env.fps)
    actions = []
    for tick in range(limit):
        action = device.read(step)
        actions.append(action)
        step = env.step(action)
        if step.success:
            return True, tick + 1, actions, step
    return False, limit, actions, step


@pytest.fixture
def scripted():
    device = make_device_from_config(make_device_config("scripted"))
    yield device
    device.disconnect()


def test_describes_itself(scripted) -> None:
    assert scripted.name == "scripted"
    assert scripted.realtime is False


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7, 13])
def test_solves_pick_orange(make_mujoco_env, scripted, seed: int) -> None:
    env = make_mujoco_env("so101_pick_orange")
    scripted.connect(env)
    success, ticks, actions, step = _run_episode(env, scripted, seed)
    assert success, f"seed {seed}: no success in {ticks} ticks; {step.info['object_positions']}"
    plate = step.info["object_positions"]["plate"]
    for name in ("orange_1", "orange_2", "orange_3"):
        assert np.all(np.abs(step.info["object_positions"][name][:2] - plate[:2]) <= 0.10)
    assert so101.at_rest(step.info["joint_radians"])
    assert all(a.dtype == np.float32 and a.shape == (6,) for a in actions)


@pytest.mark.parametrize("seed", [0, 5])
def test_solves_lift_cube(make_mujoco_env, scripted, seed: int) -> None:
    env = make_mujoco_env("so101_lift_cube")
    scripted.connect(env)
    success, ticks, _, step = _run_episode(env, scripted, seed)
    assert success, f"seed {seed}: cube at {step.info['object_positions']['cube']}"


def test_same_seed_same_actions(make_mujoco_env, scripted) -> None:
    env = make_mujoco_env("so101_pick_orange")
    scripted.connect(env)
    _, _, first, _ = _run_episode(env, scripted, seed=4, max_ticks=120)
    _, _, second, _ = _run_episode(env, scripted, seed=4, max_ticks=120)
    np.testing.assert_array_equal(np.array(first), np.array(second))
    _, _, other, _ = _run_episode(env, scripted, seed=5, max_ticks=120)
    assert not np.array_equal(np.array(first), np.array(other))


def test_read_before_connect_is_a_device_error(make_mujoco_env, scripted) -> None:
    step = make_mujoco_env().reset(seed=0)
    with pytest.raises(DeviceError, match="connect"):
        scripted.read(step)


def test_backend_without_scene_facts_is_a_device_error(make_mujoco_env, scripted) -> None:
    env = make_mujoco_env()
    scripted.connect(env)
    step = env.reset(seed=0)
    bare = type(step)(state=step.state, images=step.images, success=False, info={})
    with pytest.raises(DeviceError, match="object_positions|joint_radians"):
        scripted.read(bare)


class _MisreportedOrange:
    """Fault injection around a real env: for the first `ticks` steps orange_1 is reported
    6 cm away from where it is, so the first grasp closes on air."""

    def __init__(self, env: Env, ticks: int) -> None:
        self._env, self._ticks, self._count = env, ticks, 0

    def __getattr__(self, name: str):
        return getattr(self._env, name)

    def _lie(self, step):
        self._count += 1
        if self._count > self._ticks:
            return step
        positions = dict(step.info["object_positions"])
        positions["orange_1"] = positions["orange_1"] + np.array([0.0, 0.06, 0.0])
        return type(step)(
            step.state, step.images, step.success, {**step.info, "object_positions": positions}
        )

    def reset(self, seed=None):
        self._count = 0
        return self._lie(self._env.reset(seed))

    def step(self, action):
        return self._lie(self._env.step(action))


@pytest.mark.slow
def test_a_missed_grasp_is_retried(make_mujoco_env, scripted) -> None:
    env = _MisreportedOrange(make_mujoco_env("so101_pick_orange"), ticks=45)
    scripted.connect(env)
    success, ticks, _, step = _run_episode(env, scripted, seed=0)
    assert success, f"no success after a missed grasp; {step.info['object_positions']}"
    assert ticks > 420  # slower than the clean run of this seed (~383 ticks): it retried


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ]
    )


class _LeIsaacWorldFrame:
    """The MuJoCo env with its Step.info re-expressed in a world frame like LeIsaac's:
    robot base at (2.2, -0.61, 0.89) and yawed 180 degrees (wxyz (0, 0, 0, 1)). The
    demonstrator must plan the same motions from it (it plans in the robot base frame)."""

    BASE = np.array([2.2, -0.61, 0.89])
    QUAT = np.array([0.0, 0.0, 0.0, 1.0])

    def __init__(self, env: Env) -> None:
        self._env = env

    def __getattr__(self, name: str):
        return getattr(self._env, name)

    def _move(self, step):
        from dataclasses import replace

        from leisaac_core.sim import info

        rotation = info.quat_to_matrix(self.QUAT)
        positions = {
            k: self.BASE + rotation @ (v - step.info[info.ROBOT_BASE])
            for k, v in step.info[info.OBJECT_POSITIONS].items()
        }
        quats = {k: _quat_mul(self.QUAT, q) for k, q in step.info[info.OBJECT_QUATS].items()}
        moved = info.scene_info(
            step.info[info.JOINT_RADIANS], positions, self.BASE, self.QUAT, object_quats=quats
        )
        return replace(step, info=moved)

    def reset(self, seed=None):
        return self._move(self._env.reset(seed=seed))

    def step(self, action):
        return self._move(self._env.step(action))


def test_plans_in_the_robot_base_frame_whatever_the_world_frame(make_mujoco_env, scripted) -> None:
    env = make_mujoco_env("so101_lift_cube")
    scripted.connect(env)
    _, _, plain, _ = _run_episode(env, scripted, seed=0, max_ticks=150)
    _, _, moved, _ = _run_episode(_LeIsaacWorldFrame(env), scripted, seed=0, max_ticks=150)
    np.testing.assert_allclose(np.array(moved), np.array(plain), atol=1e-3)
    assert np.ptp(np.array(plain)[:, 0]) > 1.0  # the arm did move: not a trivial comparison


def test_style_varies_under_the_seed(make_mujoco_env) -> None:
    """Speed, travel height, grasp yaw (wrist roll) and approach vary with the seed, so the
    wrist roll is no dead joint in the dataset; a seed always replays the same style."""
    from leisaac_core.teleop.scripted.scripted import Style

    styles = [Style.from_seed(seed) for seed in range(20)]
    assert Style.from_seed(3) == styles[3]
    assert len({s.grasp_roll_rad for s in styles}) == 20
    assert all(0.9 <= s.speed_scale <= 1.15 and abs(s.grasp_roll_rad) <= 0.2 for s in styles)
    assert all(np.hypot(*s.approach_offset) <= 0.02 for s in styles)

    env = make_mujoco_env("so101_lift_cube")
    rolls = []
    for seed in (0, 1):
        device = make_device_from_config(make_device_config("scripted"))
        device.connect(env)
        success, _, actions, _ = _run_episode(env, device, seed)
        assert success
        rolls.append(np.array(actions)[:, 4])
    assert all(np.ptp(r) > 2.0 for r in rolls), "wrist roll moves (normalized units)"
    assert abs(rolls[0].min() - rolls[1].min()) > 1.0 or abs(rolls[0].max() - rolls[1].max()) > 1.0

    fixed = make_device_from_config(make_device_config("scripted", vary=False))
    fixed.connect(env)
    _, _, actions, _ = _run_episode(env, fixed, seed=0)
    roll = np.array(actions)[:, 4]
    # vary=False: no style roll; the one turn squares the jaws to the cube's faces (a box
    # is held across its faces), at most 45 degrees (28.1 normalized units), then held.
    assert np.abs(roll).max() <= 28.2
    assert np.count_nonzero(np.diff(roll)) <= round(0.3 * 30), "one turn, then held"


# ---- the clean-toy-table tasks: one arm, and two arms working together ------------------
TWO_ARMS = "bi_so101_clean_toy_table"


def _in_box(step) -> bool:
    positions = step.info["object_positions"]
    return all(
        np.all(np.abs(positions[t][:2] - positions["box"][:2]) <= 0.05) for t in ("toy_1", "toy_2")
    )


def test_one_arm_cleans_the_toy_table(make_mujoco_env, scripted) -> None:
    env = make_mujoco_env("so101_clean_toy_table")
    scripted.connect(env)
    success, ticks, actions, step = _run_episode(env, scripted, seed=11)
    assert success, f"no success in {ticks} ticks; {step.info['object_positions']}"
    assert _in_box(step) and so101.at_rest(step.info["joint_radians"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_arms_clean_the_toy_table_each_its_toy(make_mujoco_env, scripted, seed) -> None:
    env = make_mujoco_env(TWO_ARMS)
    scripted.connect(env)
    success, ticks, actions, step = _run_episode(env, scripted, seed)
    assert success, f"seed {seed}: no success in {ticks} ticks; {step.info['object_positions']}"
    assert _in_box(step) and so101.at_rest(step.info["joint_radians"])
    moves = np.ptp(np.array(actions), axis=0)
    assert all(a.shape == (12,) and a.dtype == np.float32 for a in actions)
    assert moves[1] > 20 and moves[7] > 20, "both arms' shoulders lift"
    assert moves[5] > 20 and moves[11] > 20, "both grippers open and close"


def test_two_arm_demonstrations_vary_under_the_seed() -> None:
    """Which arm starts, and whether the arms work together, staggered or in turn, come from
    the seed (with each arm's own style); a seed always gives the same teamwork."""
    from leisaac_core.teleop.scripted.arm import Style
    from leisaac_core.teleop.scripted.bimanual import Teamwork

    teams = [Teamwork.from_seed(seed, 2) for seed in range(20)]
    assert teams[4] == Teamwork.from_seed(4, 2)
    assert {t.lead for t in teams} == {0, 1}
    assert {t.timing for t in teams} == {"together", "staggered", "in_turn"}
    assert len({round(t.place_turn_rad, 6) for t in teams}) == 20
    assert all(Style.from_seed(s, 0) != Style.from_seed(s, 1) for s in range(20))
    assert Style.from_seed(3, 0) == Style.from_seed(3)  # one-arm styles as they were


def test_two_arm_seeds_replay_and_differ(make_mujoco_env) -> None:
    env = make_mujoco_env(TWO_ARMS)
    runs = []
    for seed in (2, 2, 3):
        device = make_device_from_config(make_device_config("scripted"))
        device.connect(env)
        runs.append(np.array(_run_episode(env, device, seed, max_ticks=90)[2]))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.slow
@pytest.mark.parametrize("task", ["so101_clean_toy_table", TWO_ARMS])
def test_demonstrator_succeeds_on_nine_in_ten_seeds(make_mujoco_env, task: str) -> None:
    """The issue's bar: >= 90 % success on seeds 0-19 for each clean-toy-table task."""
    env = make_mujoco_env(task)
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    failed = [seed for seed in range(20) if not _run_episode(env, device, seed)[0]]
    assert len(failed) <= 2, f"{task}: failed on seeds {failed}"
