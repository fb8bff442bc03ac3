"""Replica of LeIsaac-SO101-LiftCube-v0: lift a cube more than 0.20 m above the robot base."""

from __future__ import annotations

from leisaac_core.tasks.rules import ObjectAbove
from leisaac_core.tasks.so101_cameras import FRONT_CAMERA, WRIST_CAMERA
from leisaac_core.tasks.spec import ObjectSpec, TaskSpec

SO101_LIFT_CUBE = TaskSpec(
    name="so101_lift_cube",
    leisaac_id="LeIsaac-SO101-LiftCube-v0",
    task_text="Lift the cube.",
    objects=(
        ObjectSpec(
            "cube",
            "box",
            (0.015, 0.015, 0.015),
            (0.2, 0.35, 0.85, 1.0),
            pos=(0.22, -0.05, 0.015),
            mass=0.03,
            xy_jitter=0.03,
        ),
    ),
    cameras=(
        FRONT_CAMERA,
        WRIST_CAMERA,
    ),
    success=ObjectAbove("cube", height=0.20),
    episode_time_s=20.0,
)
