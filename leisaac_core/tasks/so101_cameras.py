"""Camera poses shared by SO-101 tasks."""

from __future__ import annotations

from leisaac_core.tasks.spec import CameraPose

# On the gripper body (fingers point along its -z, the moving jaw closes along +x): beside the
# wrist, looking down the fingers at the point between the jaws, like LeIsaac's wrist camera.
WRIST_CAMERA = CameraPose(
    "wrist",
    mount="gripper",
    pos=(0.0, 0.05, -0.035),
    target=(0.015, 0.0, -0.12),
    up=(0.0, 1.0, 0.0),
    fovy_deg=70.0,
)

# In front of the robot, looking back at it over the table (LeIsaac's `front` camera).
FRONT_CAMERA = CameraPose(
    "front",
    pos=(0.55, 0.0, 0.42),
    target=(0.18, 0.0, 0.0),
    fovy_deg=58.0,
    pos_jitter=0.025,
    rot_jitter_deg=2.5,
)
