"""Config of the Isaac Lab backend (GPU). Importing this never imports Isaac Lab or torch.

The task name -> LeIsaac gym id mapping lives here (not in env.py) so it can be checked and
tested on machines without Isaac Lab.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from leisaac_core.sim.config import EnvConfig

# Our task names -> the gym ids LeIsaac registers. Its other manager-based SO-101 ids (one
# arm or two, e.g. LeIsaac-SO101-FoldCloth-BiArm-v0) are taken as they are.
LEISAAC_TASK_IDS: dict[str, str] = {
    "so101_pick_orange": "LeIsaac-SO101-PickOrange-v0",
    "so101_lift_cube": "LeIsaac-SO101-LiftCube-v0",
    "so101_clean_toy_table": "LeIsaac-SO101-CleanToyTable-v0",
    "bi_so101_clean_toy_table": "LeIsaac-SO101-CleanToyTable-BiArm-v0",
}

# Parts of LeIsaac gym ids this backend cannot run, and why. The Env contract (state and
# action = 6 joints per SO-101 arm, success from a manager-based termination term) cannot
# describe them, so they are refused when the config is made, with the reason.
_UNSUPPORTED_ID_PARTS: dict[str, str] = {
    "LeKiwi": "is not an SO-101 arm task (a mobile LeKiwi robot)",
    "Direct": "is a DirectRLEnv (no termination or action managers to adapt)",
    "Mimic": "is an Isaac Lab Mimic data-generation env (IK actions, not joint targets)",
    "DigitalTwin": "reads a green-screen image by a path relative to LeIsaac's checkout",
}
# LeIsaac's physics rate: its tasks keep Isaac Lab's default sim.dt = 1/60 s.
LEISAAC_SIM_HZ = 60
# LeIsaac's scene object names -> the names our TaskSpecs (and Step.info) use.
LEISAAC_OBJECT_NAMES: dict[str, dict[str, str]] = {
    "so101_pick_orange": {
        "Orange001": "orange_1",
        "Orange002": "orange_2",
        "Orange003": "orange_3",
        "Plate": "plate",
    },
    "so101_lift_cube": {"cube": "cube"},
    "so101_clean_toy_table": {"Character_E": "toy_1", "Character_E_1": "toy_2", "Box": "box"},
    "bi_so101_clean_toy_table": {"Character_E": "toy_1", "Character_E_1": "toy_2", "Box": "box"},
}


def leisaac_task_id(task: str) -> str:
    """Map one of our task names (or a LeIsaac gym id passed directly) to a LeIsaac gym id."""
    if task in LEISAAC_TASK_IDS:
        return LEISAAC_TASK_IDS[task]
    if task.startswith("LeIsaac-"):
        for part, reason in _UNSUPPORTED_ID_PARTS.items():
            if part in task:
                raise ValueError(
                    f"LeIsaac task {task!r} {reason}; the isaaclab backend records SO-101 arms "
                    "(one, or two for BiArm ids) from a manager-based task. Pick e.g. "
                    "LeIsaac-SO101-PickOrange-v0 or LeIsaac-SO101-CleanToyTable-BiArm-v0."
                )
        return task
    known = ", ".join(sorted(LEISAAC_TASK_IDS))
    raise ValueError(
        f"unknown task {task!r} for the isaaclab backend; use one of: {known}, "
        "or a LeIsaac gym id such as 'LeIsaac-SO101-CleanToyTable-v0'"
    )


def task_name(task: str) -> str:
    """Our task name for a LeIsaac id we replicate (so the demonstrator finds its TaskSpec)."""
    return {v: k for k, v in LEISAAC_TASK_IDS.items()}.get(task, task)


class IsaacLabEnvConfig(EnvConfig):
    """Settings of one Isaac Lab env (num_envs=1).

    `camera_width`/`camera_height` overwrite the width and height of the task's cameras
    (`front` and `wrist`; two arms: `left_wrist`, `right_wrist`, `top`) before the env is
    built; the cameras' poses and optics stay the
    task's own. `task_package` is imported after the Isaac app has started so that its gym
    ids get registered.
    """

    type: Literal["isaaclab"] = "isaaclab"
    hosted: bool = Field(
        True,
        description="Always true: Isaac Sim owns its process's main thread, event-loop policy "
        "and stage, so it runs in an env host process of its own",
    )
    device: str = Field("cuda:0", description="Torch device of the sim: cuda, cuda:N or cpu")
    headless: bool = True
    task_package: str = Field(
        "leisaac.tasks", description="Imported after the app starts, to register LeIsaac's ids"
    )

    @field_validator("task")
    @classmethod
    def _known_task(cls, task: str) -> str:
        leisaac_task_id(task)  # fail at config time, with the list of valid names
        return task

    @field_validator("fps")
    @classmethod
    def _divides_physics_rate(cls, fps: int) -> int:
        if LEISAAC_SIM_HZ % fps:
            rates = ", ".join(
                str(f) for f in range(1, LEISAAC_SIM_HZ + 1) if LEISAAC_SIM_HZ % f == 0
            )
            raise ValueError(
                f"fps {fps} does not divide LeIsaac's {LEISAAC_SIM_HZ} Hz physics rate, so "
                "recorded time would not match simulated time; use one of: " + rates
            )
        return fps

    @field_validator("hosted")
    @classmethod
    def _always_hosted(cls, hosted: bool) -> bool:
        if not hosted:
            raise ValueError(
                "the isaaclab backend always runs in its own env host process; leave hosted "
                "unset or true"
            )
        return hosted

    @field_validator("device")
    @classmethod
    def _torch_device(cls, device: str) -> str:
        if not (device == "cpu" or device.startswith("cuda")):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        return device

    @property
    def task_id(self) -> str:
        return leisaac_task_id(self.task)
