"""The policy device against real loopback policy servers and the real MuJoCo env."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from leisaac_core.policy.config import PolicyDeviceConfig
from leisaac_core.policy.expert import ExpertPolicy
from leisaac_core.teleop import DeviceError, make_device_config, make_device_from_config
from leisaac_core.teleop.browser.config import KeyboardDeviceConfig
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig
from tests.support.live_server import free_port


class FixedPolicy:
    """Replies with the same chunk every time (optionally late, with odd metadata)."""

    def __init__(
        self, actions: Any, metadata: Mapping[str, Any] | None = None, delay_s: float = 0.0
    ) -> None:
        self.actions = actions
        self.metadata = metadata or {}
        self.delay_s = delay_s

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        time.sleep(self.delay_s)
        return {"actions": self.actions}


def _device(url: str, **kw: Any):
    return make_device_from_config(PolicyDeviceConfig(url=url, **kw))


def _run(env, device, seed: int, ticks: int, pace_s: float = 0.0):
    step = env.reset(seed=seed)
    device.reset(seed)
    actions = []
    for _ in range(ticks):
        action = device.read(step)
        actions.append(np.array(action))
        step = env.step(action)
        if pace_s:
            time.sleep(pace_s)
        if step.success:
            break
    return actions, step


@pytest.mark.parametrize("chunk", [1, 10])
@pytest.mark.parametrize(
    ("task", "seed", "ticks"),
    [
        ("so101_lift_cube", 3, 600),
        # The first grasp misses and the demonstrator grasps again: the decision to retry
        # must be made on a fresh observation (chunks that ended right after it, decided on
        # the chunk's first observation, timed out here).
        ("so101_lift_cube", 1002, 600),
        ("so101_pick_orange", 3, 900),
    ],
)
def test_expert_server_in_lockstep_replays_the_in_process_demonstrator(
    make_mujoco_env, serve_policy, task: str, seed: int, ticks: int, chunk: int
) -> None:
    """In lockstep the remote loop is the local one (what `record --device scripted` runs),
    action for action, to the same success: chunks of one action, and chunks of up to ten
    that end where the plan looks at the scene."""
    requests: list[int] = []

    class CountingExpert(ExpertPolicy):
        def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
            reply = super().infer(observation)
            requests.append(len(reply["actions"]))
            return reply

    env = make_mujoco_env(task)
    server = serve_policy(lambda: CountingExpert(chunk_size=chunk))
    remote = _device(server.url, lockstep=True)
    remote.connect(env)
    remote_actions, remote_step = _run(env, remote, seed=seed, ticks=ticks)
    remote.disconnect()
    local = make_device_from_config(make_device_config("scripted"))
    local.connect(env)
    local_actions, local_step = _run(env, local, seed=seed, ticks=ticks)
    assert remote_step.success and local_step.success
    np.testing.assert_array_equal(np.array(remote_actions), np.array(local_actions))
    assert max(requests) <= chunk
    if chunk == 1:
        assert len(requests) == len(remote_actions)
    else:  # open-loop moves go out as full chunks
        assert max(requests) == chunk and len(requests) < 0.5 * len(remote_actions)


def test_expert_server_drives_two_arms_as_the_in_process_demonstrator(
    make_mujoco_env, serve_policy
) -> None:
    """Twelve-joint actions through the policy protocol: the expert gets both arms' bases
    and the objects' headings with the scene facts and plans what the local one plans."""
    env = make_mujoco_env("bi_so101_clean_toy_table")
    server = serve_policy(lambda: ExpertPolicy(chunk_size=1))
    remote = _device(server.url, lockstep=True)
    remote.connect(env)
    remote_actions, remote_step = _run(env, remote, seed=4, ticks=750)
    remote.disconnect()
    local = make_device_from_config(make_device_config("scripted"))
    local.connect(env)
    local_actions, _ = _run(env, local, seed=4, ticks=750)
    assert remote_step.success
    assert np.array(remote_actions).shape[1] == 12
    np.testing.assert_array_equal(np.array(remote_actions), np.array(local_actions))


def test_a_two_arm_policy_sees_twelve_joints_and_three_cameras(
    make_mujoco_env, serve_policy
) -> None:
    seen: list[Mapping[str, Any]] = []

    class Watching(FixedPolicy):
        def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
            seen.append(observation)
            return super().infer(observation)

    env = make_mujoco_env("bi_so101_clean_toy_table")
    rest = env.reset(seed=0).state
    server = serve_policy(lambda: Watching(np.tile(rest, (10, 1)), {"action_dim": 12}))
    device = _device(server.url, lockstep=True)
    device.connect(env)
    actions, _ = _run(env, device, seed=0, ticks=3)
    device.disconnect()
    assert all(a.shape == (12,) for a in actions)
    first = seen[0]
    assert np.asarray(first["observation.state"]).shape == (12,)
    for camera in ("left_wrist", "right_wrist", "top"):
        assert np.asarray(first[f"observation.images.{camera}"]).shape == (24, 32, 3)

    one_arm = serve_policy(lambda: FixedPolicy(np.zeros((10, 6), np.float32)))
    device = _device(one_arm.url, lockstep=True)
    device.connect(env)
    with pytest.raises(DeviceError, match=r"wrong action size.*\(10, 6\)"):
        _run(env, device, seed=0, ticks=3)
    device.disconnect()


def test_realtime_chunks_from_the_expert_server_solve_the_task(
    make_mujoco_env, expert_server
) -> None:
    env = make_mujoco_env("so101_lift_cube")
    device = _device(expert_server.url)
    device.connect(env)
    _, step = _run(env, device, seed=0, ticks=600, pace_s=1 / 30)
    health = device.health()
    device.disconnect()
    assert step.success
    assert health.connected and health.details["rtt_ms_p50"] > 0
    assert health.details["driver"] == "policy"


def test_openpi_client_talks_to_our_server(expert_server, make_mujoco_env) -> None:
    client_module = pytest.importorskip(
        "openpi_client.websocket_client_policy",
        reason="openpi-client not installed (bash .ci/setup --test installs it)",
    )
    env = make_mujoco_env("so101_lift_cube")
    step = env.reset(seed=0)
    client = client_module.WebsocketClientPolicy(expert_server.url)
    # The expert serves any task: its actions are 6 per arm of the client's task.
    assert client.get_server_metadata()["action_dim"] is None
    reply = client.infer(
        {
            "observation.state": step.state,
            "episode_start": True,
            "privileged": {
                "task_name": env.task_name,
                "fps": env.fps,
                "joint_radians": step.info["joint_radians"],
                "object_positions": step.info["object_positions"],
                "robot_base": step.info["robot_base"],
            },
        }
    )
    assert reply["actions"].shape == (10, 6) and reply["actions"].dtype == np.float32
    assert reply["server_timing"]["infer_ms"] >= 0
    # A request the expert cannot serve is answered with an error text, as OpenPI does.
    with pytest.raises(RuntimeError, match="scene facts"):
        client.infer({"observation.state": step.state})


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (FixedPolicy(np.zeros((10, 7), np.float32)), "wrong action size.*\\(10, 7\\)"),
        (FixedPolicy(np.full((10, 6), np.nan, np.float32)), "NaN"),
        (FixedPolicy(np.zeros((10, 6)), metadata={"action_dim": 14}), "action_dim 14"),
        (FixedPolicy(np.zeros((10, 6)), metadata={"image_size": "big"}), "image_size"),
        (FixedPolicy("not numbers"), "not numeric"),
    ],
    ids=["action-size", "nan", "metadata-action-dim", "metadata-image-size", "garbage"],
)
def test_bad_replies_fail_with_a_message_naming_the_server(
    make_mujoco_env, serve_policy, policy, message
) -> None:
    env = make_mujoco_env("so101_lift_cube")
    server = serve_policy(lambda: policy)
    device = _device(server.url, lockstep=True)
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    with pytest.raises(DeviceError, match=message) as info:
        device.read(step)
    assert server.url in str(info.value)
    device.disconnect()


def test_server_down_then_up_reconnects_on_the_next_episode(make_mujoco_env, serve_policy) -> None:
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    port = free_port()
    device = _device(f"ws://127.0.0.1:{port}", lockstep=True, connect_timeout_s=2)
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    with pytest.raises(DeviceError, match=f"ws://127.0.0.1:{port}: cannot connect"):
        device.read(step)
    assert not device.health().connected
    serve_policy(lambda: FixedPolicy(np.ones((4, 6), np.float32)), port=port)
    device.reset(1)
    np.testing.assert_array_equal(device.read(env.reset(seed=1)), np.ones(6, np.float32))
    assert device.health().connected
    device.disconnect()


def test_slow_server_starves_ticks_and_the_arm_holds_its_last_target(
    make_mujoco_env, serve_policy
) -> None:
    """Row j of a chunk is for the j-th tick after its observation: the rows whose tick
    passed while the reply travelled are skipped, and a dry queue holds the last target."""
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    chunk = np.repeat(np.arange(10, dtype=np.float32)[:, None], 6, axis=1)  # row j = j
    server = serve_policy(lambda: FixedPolicy(chunk, delay_s=0.1))
    device = _device(server.url, prefetch_ticks=0)
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    first = device.read(step)  # no chunk yet: hold where the arm is, not counted as starved
    np.testing.assert_allclose(first, step.state)
    assert device.starved_ticks == 0
    served = []
    for _ in range(60):
        served.append(float(device.read(step)[0]))
        time.sleep(1 / 30)
    from_policy = served[next(i for i, v in enumerate(served) if v in range(10)) :]
    # The first row executed is the one for the tick it arrived at, never row 0 (stale).
    assert from_policy[0] >= 1
    steps = np.diff(from_policy)
    # Within a chunk +1 per tick, 0 while starved (held), a jump back at the next chunk.
    assert all(d in (0.0, 1.0) or d < 0 for d in steps), from_policy
    assert device.starved_ticks > 0
    assert (steps == 0).sum() >= device.starved_ticks - 1
    assert device.health().details["starved_ticks"] == device.starved_ticks
    device.disconnect()


def test_continuation_chunks_are_appended_without_skipping(make_mujoco_env, serve_policy) -> None:
    """A 'continuation' server (like our expert's plan): every row runs, in order."""
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    chunk = np.repeat(np.arange(10, dtype=np.float32)[:, None], 6, axis=1)
    metadata = {"action_alignment": "continuation"}
    server = serve_policy(lambda: FixedPolicy(chunk, metadata=metadata, delay_s=0.05))
    device = _device(server.url, prefetch_ticks=5)
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    served = []
    for _ in range(60):
        served.append(float(device.read(step)[0]))
        time.sleep(1 / 30)
    from_policy = [v for v in served[next(i for i, v in enumerate(served) if v == 0.0) :]]
    distinct = [v for i, v in enumerate(from_policy) if i == 0 or v != from_policy[i - 1]]
    assert distinct[:25] == [float(j % 10) for j in range(25)], distinct
    device.disconnect()


def test_too_slow_in_lockstep_fails_the_episode(make_mujoco_env, serve_policy) -> None:
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    server = serve_policy(lambda: FixedPolicy(np.zeros((2, 6), np.float32), delay_s=3))
    device = _device(server.url, lockstep=True, request_timeout_s=0.5, connect_timeout_s=0.5)
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    with pytest.raises(DeviceError, match="too slow"):
        device.read(step)
    device.disconnect()


def test_human_takeover_marks_intervention_and_hands_back(make_mujoco_env, serve_policy) -> None:
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    server = serve_policy(lambda: FixedPolicy(np.zeros((4, 6), np.float32)))
    device = _device(server.url, lockstep=True, takeover=KeyboardDeviceConfig())
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    np.testing.assert_array_equal(device.read(step), np.zeros(6))
    assert device.intervention is False
    device.handle_input({"takeover": True, "keys": ["KeyA"]})  # pan while holding A
    human = device.read(step)
    assert device.intervention is True
    assert device.health().details["driver"] == "human"
    assert human[0] != pytest.approx(step.state[0], abs=1e-3)  # the human moved the pan joint
    np.testing.assert_allclose(human[1:5], step.state[1:5], atol=1e-3)
    device.handle_input({"takeover": False})
    np.testing.assert_array_equal(device.read(step), np.zeros(6))
    assert device.intervention is False
    device.disconnect()


def test_leader_arm_takeover(make_mujoco_env, serve_policy, tmp_path) -> None:
    """The leader arm (simulated STS3215 bus on a pty) takes over from the policy."""
    import json

    from leisaac_core.so101 import JOINTS
    from tests.support.sts3215_bus import SimulatedBus

    calibration = tmp_path / "leader.json"
    calibration.write_text(
        json.dumps(
            {
                joint: {
                    "id": i + 1,
                    "drive_mode": 0,
                    "homing_offset": 0,
                    "range_min": 1000,
                    "range_max": 3000,
                }
                for i, joint in enumerate(JOINTS)
            }
        )
    )
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    server = serve_policy(lambda: FixedPolicy(np.zeros((4, 6), np.float32)))
    with SimulatedBus("pty") as arm:
        arm.set_positions([2500] * 6)  # 3/4 of each range: arm joints +50, gripper 75
        device = _device(
            server.url,
            lockstep=True,
            takeover={"type": "so101_leader", "port": arm.url, "calibration_path": calibration},
        )
        device.connect(env)
        step = env.reset(seed=0)
        device.reset(0)
        np.testing.assert_array_equal(device.read(step), np.zeros(6))
        device.handle_input({"takeover": True})
        human = device.read(step)
        assert device.intervention is True
        np.testing.assert_allclose(human, [50, 50, 50, 50, 50, 75], atol=0.5)
        device.handle_input({"takeover": False})
        np.testing.assert_array_equal(device.read(step), np.zeros(6))
        device.disconnect()


def test_leader_takeover_needs_a_port() -> None:
    with pytest.raises(ValueError, match=r"takeover\.so101_leader\.port\s+Field required"):
        PolicyDeviceConfig(url="ws://127.0.0.1:1", takeover={"type": "so101_leader"})


def test_takeover_by_a_device_that_is_not_a_person_is_refused() -> None:
    with pytest.raises(ValueError, match="a person takes over"):
        PolicyDeviceConfig(url="ws://127.0.0.1:1", takeover=ScriptedDeviceConfig())


class KeyedPolicy:
    """An OpenPI-style server with keys of its own: refuses anything else."""

    metadata: Mapping[str, Any] = {"action_dim": 6}

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        image, prompt = observation["observation/image"], observation["prompt"]
        assert image.dtype == np.uint8 and image.ndim == 3 and prompt == "Lift the cube."
        assert "observation.images.front" not in observation
        return {"actions": np.tile(observation["observation/state"], (3, 1))}


def test_observation_keys_are_renamed_for_servers_with_their_own(
    make_mujoco_env, serve_policy
) -> None:
    env = make_mujoco_env("so101_lift_cube", width=16, height=16)
    server = serve_policy(KeyedPolicy)
    renames = {
        "observation.images.front": "observation/image",
        "observation.state": "observation/state",
        "task": "prompt",
    }
    device = _device(server.url, lockstep=True, observation_keys=renames)
    device.connect(env)
    step = env.reset(seed=0)
    device.reset(0)
    np.testing.assert_allclose(device.read(step), step.state)
    device.disconnect()
    plain = _device(server.url, lockstep=True)
    plain.connect(env)
    plain.reset(0)
    with pytest.raises(DeviceError, match="KeyError.*observation/image"):
        plain.read(step)
    plain.disconnect()
