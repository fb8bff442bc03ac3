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

# LeIsaac's clean-toy-table cameras (`front` of the one-arm task, `top` of the two-arm one):
# mounted on a robot base 0.5 m out in front of it and 0.6 m up, pitched 19 degrees from
# straight down back towards the robot(s); its 28.7 mm lens on a 38.11 mm aperture is 53
# degrees vertically at 4:3. The two-arm task mounts it midway between the arms.
OVERHEAD_HEIGHT = 0.6
OVERHEAD_OUT = 0.5
OVERHEAD_AIM = OVERHEAD_OUT - OVERHEAD_HEIGHT * 0.344  # tan(19 degrees)
OVERHEAD_FOVY_DEG = 52.9


def overhead_camera(name: str) -> CameraPose:
    return CameraPose(
        name,
        pos=(OVERHEAD_OUT, 0.0, OVERHEAD_HEIGHT),
        target=(OVERHEAD_AIM, 0.0, 0.0),
        fovy_deg=OVERHEAD_FOVY_DEG,
    )


def arm_wrist_camera(arm: str) -> CameraPose:
    """The wrist camera on arm `arm`, named as lerobot names a per-arm camera
    (`left_wrist`)."""
    return CameraPose(
        f"{arm}_{WRIST_CAMERA.name}",
        mount=WRIST_CAMERA.mount,
        arm=arm,
        pos=WRIST_CAMERA.pos,
        target=WRIST_CAMERA.target,
        up=WRIST_CAMERA.up,
        fovy_deg=WRIST_CAMERA.fovy_deg,
    )
