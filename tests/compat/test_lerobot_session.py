"""A dataset recorded by the real session (MuJoCo + scripted demonstrator + our writer) loads
in lerobot's own LeRobotDataset, and the frames it decodes are the frames the sim rendered."""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np

from leisaac_core.dataset import load_episode_signals, load_episodes
from leisaac_core.session import SessionConfig, SessionEngine
from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.teleop import make_device_config, make_device_from_config
from tests.compat.lerobot_reader_support import run_lerobot_probe

SEED = 7
WARMUP = 5


def _record(root: Path) -> Path:
    engine = SessionEngine(root)
    events: queue.Queue = queue.Queue()
    engine.add_listener(events.put)
    engine.start()
    config = SessionConfig(
        episodes=1,
        env={"task": "so101_pick_orange", "camera_width": 128, "camera_height": 96},
        devices=[{"type": "scripted"}],
        dataset={"repo_id": "sim/pick"},
        episode={"seed": SEED, "warmup_frames": WARMUP},
    )
    engine.submit("start", config).result(timeout=120)
    while (event := events.get(timeout=300)).kind not in ("session_finished", "session_stopped"):
        pass
    engine.shutdown()
    assert event.data["episodes_saved"] == 1, event.message
    return root / "sim" / "pick"


def _replayed_observations(indices: list[int]) -> dict[int, dict[str, np.ndarray]]:
    """Run the same env and demonstrator again: obs j is what tick j recorded (j >= WARMUP)."""
    env = make_env_from_config(
        make_env_config("mujoco", task="so101_pick_orange", camera_width=128, camera_height=96)
    )
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    step = env.reset(seed=SEED)
    device.reset(SEED)
    wanted = {WARMUP + i: i for i in indices}
    out: dict[int, dict[str, np.ndarray]] = {}
    for j in range(max(wanted) + 1):
        if j in wanted:
            out[wanted[j]] = {name: image.copy() for name, image in step.images.items()}
        step = env.step(device.read(step))
    env.close()
    return out


def test_session_dataset_loads_in_lerobot_with_the_rendered_frames(
    lerobot_python: Path, tmp_path: Path
) -> None:
    dataset = _record(tmp_path)
    [episode] = load_episodes(dataset)
    assert episode.outcome == "success" and episode.length > 100

    [read] = run_lerobot_probe(lerobot_python, [(dataset, "sim/pick")], tmp_path, stride=50)
    assert int(read["num_episodes"]) == 1 and int(read["num_frames"]) == episode.length
    assert set(read["task"]) == {
        "Pick three oranges and put them into the plate, then reset the arm to rest state."
    }
    items = [int(i) for i in read["items"]]
    np.testing.assert_allclose(read["timestamp"], np.asarray(items) / 30.0, atol=1e-4)

    ours = load_episode_signals(dataset, 0)
    np.testing.assert_allclose(read["state"], np.asarray(ours["state"])[items], atol=1e-6)
    np.testing.assert_allclose(read["action"], np.asarray(ours["action"])[items], atol=1e-6)

    replay = _replayed_observations(items)
    for n, frame in enumerate(items):
        for camera in ("front", "wrist"):
            decoded = read[f"img/observation.images.{camera}"][n].astype(np.int16)
            rendered = replay[frame][camera].astype(np.int16)
            error = np.abs(decoded - rendered).mean()
            assert error < 8, f"{camera} frame {frame}: mean abs error {error:.1f}"
            # The comparison tells frames apart: the wrist view moves between samples far
            # more than the codec's error, so a frame off by a few ticks would fail.
            if camera == "wrist" and n > 0:
                previous = replay[items[n - 1]][camera].astype(np.int16)
                assert np.abs(previous - rendered).mean() > 2 * error
