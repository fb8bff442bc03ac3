"""How a LeIsaac task lays out its robots, cameras and actions, by gym id: one SO-101 (scene
entity `robot`, cameras `front` and `wrist`, teleop device `so101leader`) or two (`left_arm`
and `right_arm`, cameras `left_wrist`, `right_wrist` and `top`, device `bi-so101leader`).

Pure Python, like config.py, so what the backend makes of a task id is tested where Isaac
Lab cannot run. The features it gives are the embedded backend's for the same task: joints
`shoulder_pan.pos`... (one arm) or `left_shoulder_pan.pos`... `right_gripper.pos` (lerobot's
bimanual names), in the order of LeIsaac's action terms (`bi-so101leader`: left arm, left
gripper, right arm, right gripper: absolute joint targets in radians, as so101.JOINTS).
"""

from __future__ import annotations

from dataclasses import dataclass

from leisaac_core import so101


@dataclass(frozen=True)
class LeIsaacLayout:
    arms: tuple[tuple[str, str], ...]  # (our arm name, LeIsaac's scene entity)
    cameras: tuple[str, ...]  # LeIsaac's camera names (scene entities and observation terms)
    teleop_device: str  # the LeIsaac device whose action terms take absolute joint targets
    robot_type: str  # LeIsaac's robot name, when the env cfg does not say

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(
            f"{arm}_{n}" if arm else n for arm, _ in self.arms for n in so101.JOINT_FEATURE_NAMES
        )

    @property
    def action_dim(self) -> int:
        return len(so101.JOINTS) * len(self.arms)


ONE_ARM = LeIsaacLayout((("", "robot"),), ("front", "wrist"), "so101leader", "so101_follower")
TWO_ARMS = LeIsaacLayout(
    (("left", "left_arm"), ("right", "right_arm")),
    ("left_wrist", "right_wrist", "top"),
    "bi-so101leader",
    "bi_so101_follower",
)


def layout_of(task_id: str) -> LeIsaacLayout:
    """LeIsaac's two-arm tasks have `BiArm` in their id; every other SO-101 task, one arm."""
    return TWO_ARMS if "BiArm" in task_id else ONE_ARM
