"""Camera poses shared by SO-101 tasks."""

from __future__ import annotations

from leisaac_core.tasks.spec import CameraPose

# On the gripper body (fingers point along its -z), behind the fixed jaw, looking down the
# fingers like LeIsaac's wrist camera.
WRIST_CAMERA = CameraPose(
    "wrist",
    mount="gripper",
    pos=(0.0, 0.06, -0.02),
    target=(0.0, 0.0, -0.12),
    up=(0.0, 1.0, 0.0),
    fovy_deg=75.0,
)
