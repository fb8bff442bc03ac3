"""Replay a recorded episode's actions in the simulation, from the episode's stored seed.

The env is reset with the episode's seed, so the scene (object and camera randomization)
is the one the operator saw. The recorder did not keep the warmup ticks after the reset
(`warmup_frames`), so those are replayed by holding the first recorded joint state as the
target, which is where the arm was when recording began; then every recorded action is
stepped in order, and the last one is held for `hold_ticks` more (a recording ends on the
tick its success is detected, when the last lift may be a hair short of the rule's height;
the arm holding its last command is what the scene would do next). The result says whether the task's rule holds again and how far the
replayed joint states are from the recorded ones. MuJoCo is deterministic, so an episode
recorded in it replays to the same outcome; other backends may drift, which the joint-state
error shows.

The replayed cameras can be written to MP4 files (libx264 through PyAV), to be shown beside
the recorded videos.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from leisaac_core.dataset import Progress, ProgressFn, load_episode_signals, load_episodes
from leisaac_core.dataset.identity import get_identity, identity_of_robot_type
from leisaac_core.dataset.progress import no_progress
from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.tasks import TASKS

DEFAULT_WARMUP_FRAMES = 5
DEFAULT_HOLD_TICKS = 10


class ReplayError(ValueError):
    """The episode cannot be replayed (no seed, unknown task, not joint actions...)."""


@dataclass(frozen=True)
class ReplayResult:
    episode_index: int
    task: str
    seed: int
    frames: int
    recorded_outcome: str | None
    success: bool  # the task's rule held at some tick of the replay
    success_at_end: bool
    joint_error_max: float  # normalized units (arm -100..100, gripper 0..100)
    joint_error_mean: float
    joint_error_final: float
    videos: dict[str, Path] = field(default_factory=dict)


def _task_name(task_text: str, info: dict) -> str:
    """The task with this text whose joints the dataset has (LeIsaac's one-arm and two-arm
    clean-toy-table tasks share a text)."""
    names = list((info["features"].get("observation.state") or {}).get("names") or [])
    same_text = [n for n, spec in TASKS.items() if spec.task_text == task_text]
    for name in same_text:
        if list(TASKS[name].joint_feature_names) == names:
            return name
    if same_text:
        raise ReplayError(
            f"the tasks with the text {task_text!r} ({', '.join(same_text)}) have other joints "
            f"than this dataset ({len(names)}: {', '.join(names[:3])}...)"
        )
    raise ReplayError(f"no simulated task has the text {task_text!r}; cannot replay it")


def _camera_size(info: dict) -> tuple[int, int]:
    for feature in info["features"].values():
        if feature.get("dtype") == "video":
            shape = feature["shape"]
            return int(shape[1]), int(shape[0])  # (width, height) from (h, w, c)
    return 64, 48


class _VideoWriter:
    def __init__(self, path: Path, width: int, height: int, fps: int) -> None:
        import av

        path.parent.mkdir(parents=True, exist_ok=True)
        self.container = av.open(str(path), mode="w")
        self.stream = self.container.add_stream("libx264", rate=fps, options={"crf": "28"})
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = Fraction(1, fps)
        self.fps = fps
        self.pts = 0

    def add(self, image: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = self.pts
        frame.time_base = Fraction(1, self.fps)
        self.pts += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def replay_episode(
    dataset_dir: Path | str,
    episode_index: int,
    video_dir: Path | None = None,
    warmup_frames: int = DEFAULT_WARMUP_FRAMES,
    hold_ticks: int = DEFAULT_HOLD_TICKS,
    backend: str = "mujoco",
    progress: ProgressFn = no_progress,
) -> ReplayResult:
    """Replay one episode; with `video_dir`, write `<camera>.mp4` of the replayed cameras.
    `progress` hears of every recorded frame stepped ("replaying", frames)."""
    root = Path(dataset_dir)
    if episode_index < 0:
        raise ReplayError(f"episode {episode_index} does not exist (indices start at 0)")
    found = load_episodes(root, episode_index, 1)
    record = found[0] if found and found[0].index == episode_index else None
    if record is None:
        total = json.loads((root / "meta" / "info.json").read_text()).get("total_episodes")
        raise ReplayError(
            f"episode {episode_index} does not exist; the dataset has {total} episodes"
        )
    if record.seed is None:
        raise ReplayError(f"episode {episode_index} has no stored seed; it cannot be replayed")
    info = json.loads((root / "meta" / "info.json").read_text())
    task = _task_name(record.task, info)
    signals = load_episode_signals(root, episode_index)
    actions = np.asarray(signals["action"], dtype=np.float32)
    recorded = np.asarray(signals["state"], dtype=np.float32)
    if actions.ndim != 2 or actions.shape[1] != recorded.shape[1]:
        raise ReplayError(
            f"episode {episode_index}'s actions (shape {actions.shape}) are not joint targets; "
            "only joint-target episodes replay"
        )
    # Recorded joints are in the dataset's robot identity; the env takes normalized units
    # (a robot_type of neither identity: stored as the env takes them).
    identity = get_identity(identity_of_robot_type(info.get("robot_type")) or "leisaac")
    actions, recorded = identity.from_dataset(actions), identity.from_dataset(recorded)
    fps = int(info["fps"])
    width, height = _camera_size(info)
    env = make_env_from_config(
        make_env_config(backend, task=task, fps=fps, camera_width=width, camera_height=height)
    )
    writers: dict[str, _VideoWriter] = {}
    try:
        if video_dir is not None:
            writers = {
                c.name: _VideoWriter(video_dir / f"{c.name}.mp4", c.width, c.height, fps)
                for c in env.cameras
            }
        step = env.reset(seed=int(record.seed))
        for _ in range(warmup_frames):
            step = env.step(recorded[0])
        replayed: list[np.ndarray] = []
        success = False
        progress(Progress("replaying", 0, len(actions), "frames"))
        for done, action in enumerate(actions, start=1):
            replayed.append(np.asarray(step.state, dtype=np.float32))
            for name, writer in writers.items():
                writer.add(step.images[name])
            step = env.step(action)
            success = success or bool(step.success)
            progress(Progress("replaying", done, len(actions), "frames"))
        for _ in range(hold_ticks if len(actions) else 0):
            step = env.step(actions[-1])
            success = success or bool(step.success)
        error = np.abs(np.asarray(replayed) - recorded) if replayed else np.zeros((1, 1))
        per_frame = error.max(axis=1)
        return ReplayResult(
            episode_index=episode_index,
            task=task,
            seed=int(record.seed),
            frames=len(actions),
            recorded_outcome=record.outcome,
            success=success,
            success_at_end=bool(step.success),
            joint_error_max=float(per_frame.max()),
            joint_error_mean=float(error.mean()),
            joint_error_final=float(per_frame[-1]),
            videos={name: video_dir / f"{name}.mp4" for name in writers} if video_dir else {},
        )
    finally:
        for writer in writers.values():
            writer.close()
        env.close()


def replay_summary(result: ReplayResult) -> Sequence[str]:
    """Lines for a terminal."""
    again = "succeeds again" if result.success else "does NOT succeed"
    return (
        f"episode {result.episode_index} ({result.task}, seed {result.seed}, "
        f"{result.frames} frames, recorded {result.recorded_outcome or 'unknown'}): "
        f"replay {again}",
        f"joint-state error (normalized units): max {result.joint_error_max:.2f}, "
        f"mean {result.joint_error_mean:.3f}, final {result.joint_error_final:.2f}",
    )
