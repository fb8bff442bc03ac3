"""Config of the Isaac Lab backend (GPU). Importing this never imports Isaac Lab or torch.

The task name -> LeIsaac gym id mapping lives here (not in env.py) so it can be checked and
tested on machines without Isaac Lab.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leisaac_core.sim.config import EnvConfig

# Our task names -> the gym ids LeIsaac registers (single SO-101 arm tasks only).
LEISAAC_TASK_IDS: dict[str, str] = {
    "so101_pick_orange": "LeIsaac-SO101-PickOrange-v0",
    "so101_lift_cube": "LeIsaac-SO101-LiftCube-v0",
    "so101_clean_toy_table": "LeIsaac-SO101-CleanToyTable-v0",
}

# Substrings of LeIsaac ids whose robots are not one 6-joint SO-101 arm. The Env contract
# (state and action = 6 SO-101 joints) cannot describe them, so they are refused up front.
_UNSUPPORTED_ID_PARTS: tuple[str, ...] = ("BiArm", "LeKiwi")


def leisaac_task_id(task: str) -> str:
    """Map one of our task names (or a LeIsaac gym id passed directly) to a LeIsaac gym id."""
    if task in LEISAAC_TASK_IDS:
        return LEISAAC_TASK_IDS[task]
    if task.startswith("LeIsaac-"):
        for part in _UNSUPPORTED_ID_PARTS:
            if part in task:
                raise ValueError(
                    f"LeIsaac task {task!r} is not a single SO-101 arm task ({part}); the "
                    "isaaclab backend records one 6-joint SO-101 arm. Pick a single-arm task, "
                    "e.g. LeIsaac-SO101-PickOrange-v0."
                )
        return task
    known = ", ".join(sorted(LEISAAC_TASK_IDS))
    raise ValueError(
        f"unknown task {task!r} for the isaaclab backend; use one of: {known}, "
        "or a LeIsaac gym id such as 'LeIsaac-SO101-CleanToyTable-v0'"
    )


@dataclass
class IsaacLabEnvConfig(EnvConfig):
    """Settings of one Isaac Lab env (num_envs=1).

    `camera_width`/`camera_height` overwrite the width and height of the task's `front` and
    `wrist` camera configs before the env is built; the cameras' poses and optics stay the
    task's own. `task_package` is imported after the Isaac app has started so that its gym
    ids get registered.
    """

    type: ClassVar[str] = "isaaclab"
    device: str = "cuda:0"
    headless: bool = True
    task_package: str = "leisaac.tasks"

    def __post_init__(self) -> None:
        leisaac_task_id(self.task)  # fail at config time, with the list of valid names
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.camera_width < 16 or self.camera_height < 16:
            raise ValueError(
                f"camera size {self.camera_width}x{self.camera_height} is too small; use >= 16"
            )
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")

    @property
    def task_id(self) -> str:
        return leisaac_task_id(self.task)
