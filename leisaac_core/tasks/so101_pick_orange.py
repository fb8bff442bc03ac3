"""Replica of LeIsaac-SO101-PickOrange-v0: three oranges and a plate on a table."""

from __future__ import annotations

from leisaac_core.tasks.rules import All, ArmAtRest, ObjectsNear
from leisaac_core.tasks.so101_cameras import FRONT_CAMERA, WRIST_CAMERA
from leisaac_core.tasks.spec import ObjectSpec, TaskSpec

ORANGE_RGBA = (1.0, 0.55, 0.05, 1.0)
ORANGE_RADIUS = 0.022
ORANGES = ("orange_1", "orange_2", "orange_3")

SO101_PICK_ORANGE = TaskSpec(
    name="so101_pick_orange",
    leisaac_id="LeIsaac-SO101-PickOrange-v0",
    task_text="Pick three oranges and put them into the plate, then reset the arm to rest state.",
    objects=(
        ObjectSpec(
            "plate",
            "cylinder",
            (0.075, 0.006),
            (0.93, 0.93, 0.9, 1.0),
            pos=(0.22, 0.15, 0.006),
            movable=False,
            xy_jitter=0.03,
        ),
        ObjectSpec(
            "orange_1",
            "sphere",
            (ORANGE_RADIUS,),
            ORANGE_RGBA,
            pos=(0.17, -0.07, ORANGE_RADIUS),
            xy_jitter=0.03,
        ),
        ObjectSpec(
            "orange_2",
            "sphere",
            (ORANGE_RADIUS,),
            ORANGE_RGBA,
            pos=(0.27, -0.03, ORANGE_RADIUS),
            xy_jitter=0.03,
        ),
        ObjectSpec(
            "orange_3",
            "sphere",
            (ORANGE_RADIUS,),
            ORANGE_RGBA,
            pos=(0.21, -0.16, ORANGE_RADIUS),
            xy_jitter=0.03,
        ),
    ),
    cameras=(
        FRONT_CAMERA,
        WRIST_CAMERA,
    ),
    success=All((ObjectsNear(ORANGES, "plate", tol_xy=0.10, tol_z=0.07), ArmAtRest(30.0))),
    episode_time_s=25.0,
)
