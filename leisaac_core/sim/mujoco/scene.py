"""Build the MuJoCo scene (MJCF text) for a TaskSpec around the shipped SO-101 model.

Everything task-specific comes from the spec; this module only knows how to turn objects,
cameras and the table into MJCF, and how the robot's collision geometry is set up:

- collision bits: table and fixed objects 1, movable objects 1|2, robot 2 (contype only), so
  the arm touches the objects but never the table or itself (keeps scripted and human
  motions free of snagging on convex hulls);
- the gripper's mesh hulls are replaced by the upstream model's jaw contact pads, because a
  convex hull of a jaw fills the space between the fingers where an object must go.
"""

from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from leisaac_core.tasks.spec import ArmSpec, CameraPose, ObjectSpec, Part, TaskSpec

ASSET_DIR = Path(__file__).resolve().parent / "assets" / "so101"
ROBOT_XML = ASSET_DIR / "so101.xml"
GRIPPER_BODIES = ("gripper", "moving_jaw_so101_v1")
JAW_PADS = ("fixed_jaw_pad", "moving_jaw_pad")
GRIP_FRICTION = "1.5 0.02 0.001"
# Rolling friction stops a dropped sphere from rolling off the plate.
OBJECT_FRICTION = "1.0 0.01 0.002"
# Stiff contacts for light objects: with MuJoCo's defaults the 3.35 N m gripper servo pushes
# its pads ~15 mm into a 50 g orange.
CONTACT_SOLREF = "0.004 1"
CONTACT_SOLIMP = "0.95 0.99 0.001"
# Each visual mesh has a coarser twin (meshes/far/, clustered on this grid by
# tools/build_so101_assets.py) in a geom group no default scene option shows; the renderer
# draws one of the two per camera and tick (see render.py).
FAR_MESH_CELL_M = 0.005
FAR_SUFFIX = ":far"
FAR_GROUP = "4"


def _fmt(values: object) -> str:
    return " ".join(f"{float(v):.6g}" for v in np.ravel(values))  # type: ignore[arg-type]


def camera_xyaxes(pos: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """MuJoCo camera x and y axes for a camera at `pos` looking at `target`."""
    forward = target - pos
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, up)
    if np.linalg.norm(right) < 1e-9:
        raise ValueError(f"camera up vector {up} is parallel to its viewing direction")
    right = right / np.linalg.norm(right)
    return np.concatenate([right, np.cross(right, forward)])


def _robot_root(arms: tuple[ArmSpec, ...] = (ArmSpec(),)) -> ET.Element:
    """The SO-101 model, once per arm: a one-arm task keeps the model's names, each arm of a
    two-arm task gets its prefix on every body, joint, geom, site and actuator name
    (`left_shoulder_pan`), and its base where the task puts it."""
    root = _one_robot()
    if len(arms) == 1 and not arms[0].name:
        return root
    world, actuators = root.find("worldbody"), root.find("actuator")
    assert world is not None and actuators is not None
    base = world.find("body")
    positions = list(actuators)
    assert base is not None
    world.remove(base)
    for position in positions:
        actuators.remove(position)
    for arm in arms:
        twin = copy.deepcopy(base)
        for element in twin.iter():
            if "name" in element.attrib:
                element.set("name", arm.prefix + element.get("name", ""))
        twin.set("pos", _fmt(arm.base))
        world.append(twin)
        for position in positions:
            prefixed = copy.deepcopy(position)
            prefixed.set("name", arm.prefix + position.get("name", ""))
            prefixed.set("joint", arm.prefix + position.get("joint", ""))
            actuators.append(prefixed)
    return root


def _one_robot() -> ET.Element:
    root = ET.parse(ROBOT_XML).getroot()
    compiler = root.find("compiler")
    assert compiler is not None
    compiler.set("meshdir", str(ASSET_DIR / "meshes"))
    asset = root.find("asset")
    assert asset is not None
    for mesh in list(asset.iter("mesh")):
        stem = Path(mesh.get("file", "")).stem
        ET.SubElement(asset, "mesh", name=stem + FAR_SUFFIX, file=f"far/{stem}.stl")
    for body in root.iter("body"):
        body.set("gravcomp", "1")
        in_gripper = body.get("name") in GRIPPER_BODIES
        for index, geom in enumerate(body.findall("geom")):
            name = geom.get("name")
            if geom.get("class") == "visual":
                _add_far_twin(body, geom, f"{body.get('name')}/visual{index}")
            if name in JAW_PADS:
                geom.set("contype", "2")
                geom.set("conaffinity", "0")
                geom.set("condim", "4")
                geom.set("friction", GRIP_FRICTION)
                geom.set("solref", CONTACT_SOLREF)
                geom.set("solimp", CONTACT_SOLIMP)
            elif geom.get("class") == "collision":
                geom.set("contype", "0" if in_gripper else "2")
                geom.set("conaffinity", "0")
    return root


def _add_far_twin(body: ET.Element, geom: ET.Element, name: str) -> None:
    """Name a visual mesh geom and add its far-detail twin right after it (no mass: the
    bodies' inertia is given explicitly; no contacts: visual class)."""
    geom.set("name", name)
    twin = ET.Element("geom", dict(geom.attrib))
    twin.set("name", name + FAR_SUFFIX)
    twin.set("mesh", geom.get("mesh", "") + FAR_SUFFIX)
    twin.set("group", FAR_GROUP)
    children = list(body)
    body.insert(children.index(geom) + 1, twin)


def far_twins(model_geom_names: list[str]) -> list[tuple[int, int]]:
    """(fine geom id, far geom id) for every visual mesh with a far-detail twin."""
    index = {name: i for i, name in enumerate(model_geom_names)}
    return [
        (index[name.removesuffix(FAR_SUFFIX)], i)
        for name, i in index.items()
        if name.endswith(FAR_SUFFIX)
    ]


def _object_xml(obj: ObjectSpec) -> ET.Element:
    body = ET.Element("body", name=obj.name, pos=_fmt(obj.pos))
    if obj.movable:
        ET.SubElement(body, "freejoint", name=obj.name)
    bits = "3" if obj.movable else "1"
    geom = ET.SubElement(
        body,
        "geom",
        name=obj.name,
        type=obj.shape,
        size=_fmt(obj.size),
        rgba=_fmt(obj.rgba),
        contype=bits,
        conaffinity=bits,
        friction=OBJECT_FRICTION,
        condim="6" if obj.shape == "sphere" else "4",
        solref=CONTACT_SOLREF,
        solimp=CONTACT_SOLIMP,
    )
    if obj.movable:
        geom.set("mass", f"{obj.mass:.6g}")
    for index, part in enumerate(obj.parts):
        body.append(_part_xml(obj, index, part, geom))
    return body


def _part_xml(obj: ObjectSpec, index: int, part: Part, main: ET.Element) -> ET.Element:
    """A part collides like the object's main geom; the main geom carries the mass."""
    geom = ET.Element(
        "geom",
        dict(main.attrib),
        name=f"{obj.name}/part{index}",
        type=part.shape,
        size=_fmt(part.size),
        pos=_fmt(part.pos),
        rgba=_fmt(part.rgba or obj.rgba),
    )
    if part.shape != "sphere":
        geom.set("condim", "4")
    if obj.movable:
        geom.set("mass", "0")
    if not part.collides:
        geom.set("contype", "0")
        geom.set("conaffinity", "0")
    return geom


def _camera_xml(cam: CameraPose) -> ET.Element:
    xyaxes = camera_xyaxes(np.array(cam.pos), np.array(cam.target), np.array(cam.up))
    return ET.Element(
        "camera", name=cam.name, pos=_fmt(cam.pos), xyaxes=_fmt(xyaxes), fovy=f"{cam.fovy_deg:g}"
    )


def build_scene_xml(task: TaskSpec, timestep: float, width: int, height: int) -> str:
    root = _robot_root(task.arms)
    root.set("model", task.name)
    ET.SubElement(
        root,
        "option",
        timestep=repr(float(timestep)),  # exact: substeps must sum to 1/fps
        integrator="implicitfast",
        cone="elliptic",
        impratio="10",
    )
    visual = ET.SubElement(root, "visual")
    ET.SubElement(visual, "global", offwidth=str(width), offheight=str(height))
    # No shadow map and no multisampling: on Mesa's llvmpipe 4x MSAA alone costs ~25 ms per
    # 640x480 two-camera tick (measured 40 -> 15 CPU ms), the difference between meeting 30 Hz
    # and missing it on a 2-core box.
    ET.SubElement(visual, "quality", shadowsize="0", offsamples="0")
    ET.SubElement(
        visual, "headlight", ambient="0.35 0.35 0.35", diffuse="0.45 0.45 0.45", specular="0 0 0"
    )

    world = root.find("worldbody")
    assert world is not None
    t = task.table
    half = np.array(
        [(t.x_range[1] - t.x_range[0]) / 2, (t.y_range[1] - t.y_range[0]) / 2, t.thickness / 2]
    )
    centre = np.array(
        [(t.x_range[0] + t.x_range[1]) / 2, (t.y_range[0] + t.y_range[1]) / 2, -t.thickness / 2]
    )
    ET.SubElement(
        world,
        "light",
        name="key",
        directional="true",
        castshadow="false",
        pos="0.3 -0.3 1.5",
        dir="-0.2 0.2 -1",
        diffuse="0.55 0.55 0.55",
        specular="0.1 0.1 0.1",
    )
    ET.SubElement(
        world,
        "geom",
        name="table",
        type="box",
        size=_fmt(half),
        pos=_fmt(centre),
        rgba=_fmt(t.rgba),
        contype="1",
        conaffinity="1",
        friction=OBJECT_FRICTION,
    )
    for obj in task.objects:
        world.append(_object_xml(obj))
    for cam in task.cameras:
        if cam.mount is None:
            world.append(_camera_xml(cam))
            continue
        body = (f"{cam.arm}_" if cam.arm else "") + cam.mount
        mount = next((b for b in root.iter("body") if b.get("name") == body), None)
        if mount is None:
            raise ValueError(
                f"task {task.name!r}: camera {cam.name!r} mounts on unknown body {body!r}"
            )
        mount.append(_camera_xml(cam))
    # The floor is one quad, after the table: MuJoCo draws geoms in model order (the world's
    # own geoms first, in document order), so the table fills the depth buffer first and the
    # floor's hidden pixels cost only a depth test; the third size (grid spacing) equal to the
    # half-size makes one quad instead of 3,600 (lit by directional lights only, a flat quad
    # shades the same).
    ET.SubElement(
        world,
        "geom",
        name="floor",
        type="plane",
        size="3 3 3",
        pos="0 0 -0.75",
        rgba="0.32 0.33 0.36 1",
        contype="0",
        conaffinity="0",
    )
    return ET.tostring(root, encoding="unicode")


def small_rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """A quaternion (w, x, y, z) rotating by up to max_deg about a random axis."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = math.radians(rng.uniform(-max_deg, max_deg))
    return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis])
