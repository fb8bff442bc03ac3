"""What a policy learns from: every recorded frame pairs the observation the device saw with
the action it answered, in the dataset's units. A frame whose action belongs to the tick
before or after (an off-by-one between state and action), a state taken after the action, or
joints in the wrong units all train a policy that cannot act, and load fine in every reader.

The session records one scripted episode; the same env and demonstrator are then run again
by hand from the same seed (MuJoCo and the demonstrator are deterministic), and frame i must
be tick warmup + i exactly: its observation.state the state the device read, its action the
action the device returned for it, both converted to the dataset's identity."""

from __future__ import annotations

import json
import queue
from pathlib import Path

import numpy as np
import pytest

from leisaac_core.dataset import load_episode_signals, load_episodes
from leisaac_core.dataset.identity import get_identity, identity_of_robot_type
from leisaac_core.session import SessionConfig, SessionEngine
from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.teleop import make_device_config, make_device_from_config

SEED = 4
WARMUP = 5
WIDTH, HEIGHT = 48, 32


def _record(root: Path, task: str) -> Path:
    engine = SessionEngine(root)
    events: queue.Queue = queue.Queue()
    engine.add_listener(events.put)
    engine.start()
    config = SessionConfig(
        episodes=1,
        env={"task": task, "camera_width": WIDTH, "camera_height": HEIGHT},
        devices=[{"type": "scripted"}],
        dataset={"repo_id": "pairs/demo"},
        episode={"seed": SEED, "warmup_frames": WARMUP},
    )
    try:
        engine.submit("start", config).result(timeout=120)
        while (event := events.get(timeout=300)).kind not in (
            "session_finished",
            "session_stopped",
        ):
            pass
    finally:
        engine.shutdown()
    assert event.data["episodes_saved"] == 1, event.message
    return root / "pairs" / "demo"


def _ticks(task: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(state the device read, action it returned) for ticks 0..n-1, env units."""
    env = make_env_from_config(
        make_env_config("mujoco", task=task, camera_width=WIDTH, camera_height=HEIGHT)
    )
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    step = env.reset(seed=SEED)
    device.reset(SEED)
    states, actions = [], []
    for _ in range(n):
        action = np.asarray(device.read(step), dtype=np.float32)
        states.append(np.asarray(step.state, dtype=np.float32))
        actions.append(action)
        step = env.step(action)
    device.disconnect()
    env.close()
    return np.stack(states), np.stack(actions)


@pytest.mark.parametrize("task", ["so101_lift_cube", "so101_pick_orange"])
def test_each_frame_pairs_the_observed_state_with_the_action_answered(
    tmp_path: Path, task: str
) -> None:
    dataset = _record(tmp_path, task)
    [episode] = load_episodes(dataset)
    assert episode.outcome == "success" and episode.seed == SEED
    recorded = load_episode_signals(dataset, 0)
    state = np.asarray(recorded["state"], dtype=np.float32)
    action = np.asarray(recorded["action"], dtype=np.float32)
    assert len(state) == len(action) == episode.length

    robot_type = json.loads((dataset / "meta" / "info.json").read_text())["robot_type"]
    identity = get_identity(identity_of_robot_type(robot_type))
    seen, answered = _ticks(task, WARMUP + episode.length)
    want_state = identity.to_dataset(seen[WARMUP:]).astype(np.float32)
    want_action = identity.to_dataset(answered[WARMUP:]).astype(np.float32)
    np.testing.assert_allclose(state, want_state, rtol=0, atol=1e-4)
    np.testing.assert_allclose(action, want_action, rtol=0, atol=1e-4)

    # The comparison tells neighbouring ticks apart: a shift by one would miss by far more.
    moving = np.abs(np.diff(want_action, axis=0)).max(axis=1) > 1e-3
    assert moving.sum() > 0.5 * len(moving)
    shifted = np.abs(action[1:] - want_action[:-1]).max(axis=1)
    assert (shifted[moving] > 1e-3).mean() > 0.9
