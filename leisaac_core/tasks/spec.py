"""A task as data (Isaac Lab style): scene objects, cameras, randomization, success rule.

Backends build their scene from a TaskSpec and evaluate its rule; there is no task-specific
code in any env. Frames: world z=0 is the table top, the arms face +x; a one-arm task's robot
base sits at the origin, a two-arm task's bases where its `arms` say (left at +y).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from leisaac_core.so101 import JOINT_FEATURE_NAMES
from leisaac_core.tasks.rules import Rule

Vec3 = tuple[float, float, float]
Shape = Literal["sphere", "box", "cylinder"]


@dataclass(frozen=True)
class Part:
    """One more geom of an object, at `pos` in the object's frame (a box's walls, a letter
    on a toy block). `collides` False: drawn only."""

    shape: Shape
    size: tuple[float, ...]
    pos: Vec3 = (0.0, 0.0, 0.0)
    rgba: tuple[float, float, float, float] | None = None  # None: the object's
    collides: bool = True


@dataclass(frozen=True)
class ObjectSpec:
    """One scene object. `size` follows MuJoCo: sphere (r,), box half-extents (x, y, z),
    cylinder (r, half-height); it is the object's main geom, the one a gripper holds (its
    half-width is size[0]). `parts` are more geoms of the same body. Movable objects are
    free bodies; fixed ones are placed once per reset and never move. `xy_jitter` is the +-
    range of uniform noise on x and y (m)."""

    name: str
    shape: Shape
    size: tuple[float, ...]
    rgba: tuple[float, float, float, float]
    pos: Vec3
    movable: bool = True
    mass: float = 0.05
    xy_jitter: float = 0.0
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class ArmSpec:
    """One SO-101 arm of the scene: its name (the prefix of its joints, cameras and bodies,
    as lerobot's bimanual robots name them: `left` -> `left_shoulder_pan.pos`; "" for a
    one-arm task, whose names have no prefix) and its base's place on the table (m), facing
    +x."""

    name: str = ""
    base: Vec3 = (0.0, 0.0, 0.0)

    @property
    def prefix(self) -> str:
        return f"{self.name}_" if self.name else ""


@dataclass(frozen=True)
class CameraPose:
    """A camera placed in the world (`mount` None) or on a robot link (`mount` = body name,
    of the arm named `arm` in a two-arm task), looking from `pos` at `target` (both in the
    mount's frame). Jitters are +- ranges."""

    name: str
    pos: Vec3
    target: Vec3
    fovy_deg: float = 60.0
    mount: str | None = None
    arm: str = ""
    up: Vec3 = (0.0, 0.0, 1.0)
    pos_jitter: float = 0.0
    rot_jitter_deg: float = 0.0


@dataclass(frozen=True)
class TableSpec:
    """Table top at z=0; the box extends from x_range/y_range and `thickness` below."""

    x_range: tuple[float, float] = (-0.2, 0.6)
    y_range: tuple[float, float] = (-0.45, 0.45)
    thickness: float = 0.04
    rgba: tuple[float, float, float, float] = (0.55, 0.42, 0.3, 1.0)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    leisaac_id: str
    task_text: str
    objects: tuple[ObjectSpec, ...]
    cameras: tuple[CameraPose, ...]
    success: Rule
    episode_time_s: float = 25.0
    # The robot, by LeIsaac's name. A dataset's robot_type follows the session's robot
    # identity (leisaac_core.dataset.identity: so_follower for lerobot, this for leisaac).
    robot_type: str = "so101_follower"
    table: TableSpec = TableSpec()
    arms: tuple[ArmSpec, ...] = (ArmSpec(),)

    def __post_init__(self) -> None:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names) or (len(names) > 1 and "" in names):
            raise ValueError(f"task {self.name!r}: arms need distinct names, got {names}")
        for cam in self.cameras:
            if cam.mount is not None and cam.arm not in names:
                raise ValueError(
                    f"task {self.name!r}: camera {cam.name!r} is on arm {cam.arm!r}; the "
                    f"task's arms are {names}"
                )

    @property
    def camera_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cameras)

    @property
    def joint_feature_names(self) -> tuple[str, ...]:
        """Names of state and action: each arm's six joints with its prefix, in arm order
        (lerobot's bimanual layout: left_shoulder_pan.pos ... right_gripper.pos)."""
        return tuple(f"{arm.prefix}{n}" for arm in self.arms for n in JOINT_FEATURE_NAMES)

    def object(self, name: str) -> ObjectSpec:
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise KeyError(f"task {self.name!r} has no object {name!r}")
