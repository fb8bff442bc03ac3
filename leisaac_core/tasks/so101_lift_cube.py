"""Replica of LeIsaac-SO101-LiftCube-v0: lift a cube more than 0.20 m above the robot base."""

from __future__ import annotations

from leisaac_core.tasks.rules import ObjectAbove
from leisaac_core.tasks.so101_cameras import WRIST_CAMERA
from leisaac_core.tasks.spec import CameraPose, ObjectSpec, TaskSpec

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
        CameraPose(
            "front",
            pos=(0.55, 0.0, 0.42),
            target=(0.18, 0.0, 0.0),
            fovy_deg=58.0,
            pos_jitter=0.025,
            rot_jitter_deg=2.5,
        ),
        WRIST_CAMERA,
    ),
    success=ObjectAbove("cube", height=0.20),
    episode_time_s=20.0,
)
