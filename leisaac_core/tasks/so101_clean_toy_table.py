"""Replicas of LeIsaac-SO101-CleanToyTable-v0 and its two-arm twin (-BiArm-v0): put two
toys into a box, then the arm(s) back to rest.

LeIsaac's rule (objs_in_box): each toy's centre within +-0.05 m of the box's in x and y (no
height test), and every arm at its rest pose. Its one-arm scene randomizes the box by
+-0.05 m; the toys here are also jittered +-0.02 m so seeds differ in every object. The
two-arm scene sets the arms 0.45 m apart as LeIsaac's does, the box between them and a toy in
front of each arm; cameras `left_wrist`, `right_wrist` and `top` (LeIsaac's names, also
lerobot's for per-arm cameras).
"""

from __future__ import annotations

from leisaac_core.tasks.rules import All, ArmAtRest, ObjectsNear
from leisaac_core.tasks.so101_cameras import WRIST_CAMERA, arm_wrist_camera, overhead_camera
from leisaac_core.tasks.spec import ArmSpec, TaskSpec
from leisaac_core.tasks.toys import TOYS, box, toy

CLEAN_TOY_TABLE_TEXT = "Pick two letter e objects into the box, and reset the arm to rest state."
# LeIsaac's objs_in_box tests x and y only; a toy in the box sits a few cm above the box's
# origin, one lying beside it on the table never within +-0.05 m in x and y.
IN_BOX = ObjectsNear(TOYS, "box", tol_xy=0.05, tol_z=0.10)
ARM_SPACING = 0.45

SO101_CLEAN_TOY_TABLE = TaskSpec(
    name="so101_clean_toy_table",
    leisaac_id="LeIsaac-SO101-CleanToyTable-v0",
    task_text=CLEAN_TOY_TABLE_TEXT,
    objects=(
        box((0.16, 0.13), jitter=0.05),
        toy("toy_1", (0.25, -0.03), jitter=0.02),
        toy("toy_2", (0.17, -0.16), jitter=0.02),
    ),
    cameras=(overhead_camera("front"), WRIST_CAMERA),
    success=All((IN_BOX, ArmAtRest(30.0))),
    episode_time_s=25.0,
)

BI_SO101_CLEAN_TOY_TABLE = TaskSpec(
    name="bi_so101_clean_toy_table",
    leisaac_id="LeIsaac-SO101-CleanToyTable-BiArm-v0",
    task_text=CLEAN_TOY_TABLE_TEXT,
    objects=(
        box((0.12, 0.0), jitter=0.03),
        toy("toy_1", (0.21, ARM_SPACING / 2 + 0.01), jitter=0.025),
        toy("toy_2", (0.21, -ARM_SPACING / 2 - 0.01), jitter=0.025),
    ),
    cameras=(arm_wrist_camera("left"), arm_wrist_camera("right"), overhead_camera("top")),
    success=All((IN_BOX, ArmAtRest(30.0))),
    episode_time_s=25.0,
    robot_type="bi_so101_follower",
    arms=(
        ArmSpec("left", (0.0, ARM_SPACING / 2, 0.0)),
        ArmSpec("right", (0.0, -ARM_SPACING / 2, 0.0)),
    ),
)
