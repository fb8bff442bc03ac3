"""Arm-only kinematics of the SO-101 (forward kinematics and damped-least-squares IK).

Built from the same MJCF the simulation uses, with every geom stripped, so it compiles in
milliseconds, needs no renderer and is independent of any env instance. Used by the scripted
demonstrator and by the browser keyboard device (end-effector deltas). Frames: the robot base
frame; angles in radians, joint order `leisaac_core.so101.JOINTS`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from leisaac_core.sim.mujoco import gl
from leisaac_core.sim.mujoco.scene import ROBOT_XML

gl.select_gl_backend()
import mujoco  # noqa: E402  (MUJOCO_GL must be set before this import)

ARM_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
TOOL_BODY = "gripper"
# Inner face of the fixed jaw's contact pad at the fingertip, in the gripper body frame. The
# moving jaw closes along +x of this frame, pressing an object against this face, so an
# object of half-width r is grasped with its centre at FIXED_JAW_FACE + (r, 0, 0).
FIXED_JAW_FACE = np.array([-0.00145, -0.0002, -0.0972])
CLOSING_AXIS = np.array([1.0, 0.0, 0.0])
# Direction the fingers point, in the gripper body frame.
FINGER_AXIS = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class ToolPose:
    position: np.ndarray  # (3,) m
    rotation: np.ndarray  # (3, 3) tool body axes as columns


@dataclass(frozen=True)
class IKResult:
    joint_radians: np.ndarray  # (6,), gripper copied from the initial guess
    position_error: float  # m
    tilt_error: float  # rad, finger axis vs requested approach (0 when none requested)
    converged: bool


def _arm_only_xml() -> str:
    root = ET.parse(ROBOT_XML).getroot()
    for tag in ("asset", "actuator", "equality"):
        for el in root.findall(tag):
            root.remove(el)
    for parent in root.iter():
        for geom in parent.findall("geom"):
            parent.remove(geom)
    return ET.tostring(root, encoding="unicode")


class SO101Kinematics:
    def __init__(self, tool_point: np.ndarray = FIXED_JAW_FACE) -> None:
        self._model = mujoco.MjModel.from_xml_string(_arm_only_xml())
        self._data = mujoco.MjData(self._model)
        m = self._model
        self._tool_point = np.asarray(tool_point, dtype=np.float64)
        self._tool_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, TOOL_BODY)
        ids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, j) for j in ARM_JOINTS]
        self._dof = np.array([m.jnt_dofadr[i] for i in ids])
        self._qadr = np.array([m.jnt_qposadr[i] for i in ids])
        self.lower = m.jnt_range[ids, 0].copy()
        self.upper = m.jnt_range[ids, 1].copy()
        self._jacp = np.zeros((3, m.nv))
        self._jacr = np.zeros((3, m.nv))

    def _set(self, joint_radians: np.ndarray) -> None:
        q = np.asarray(joint_radians, dtype=np.float64)
        if q.shape not in ((5,), (6,)):
            raise ValueError(f"expected 5 or 6 joint angles in radians, got shape {q.shape}")
        self._data.qpos[self._qadr] = q[:5]
        mujoco.mj_kinematics(self._model, self._data)
        mujoco.mj_comPos(self._model, self._data)

    def _tool(self, tool_point: np.ndarray | None = None) -> ToolPose:
        point = self._tool_point if tool_point is None else np.asarray(tool_point, float)
        rot = self._data.xmat[self._tool_body].reshape(3, 3).copy()
        return ToolPose(self._data.xpos[self._tool_body] + rot @ point, rot)

    def fk(self, joint_radians: np.ndarray, tool_point: np.ndarray | None = None) -> ToolPose:
        """Pose of the tool point (default: the one given at construction, in the gripper
        body frame) for the given arm angles (5 or 6 values)."""
        self._set(joint_radians)
        return self._tool(tool_point)

    def finger_axis(self, joint_radians: np.ndarray) -> np.ndarray:
        return self.fk(joint_radians).rotation @ FINGER_AXIS

    def ik(
        self,
        target_position: np.ndarray,
        initial_radians: np.ndarray,
        approach: np.ndarray | None = None,
        active: tuple[int, ...] = (0, 1, 2, 3),
        tool_point: np.ndarray | None = None,
        orientation_weight: float = 0.05,
        damping: float = 1e-2,
        iterations: int = 60,
        tolerance: float = 5e-4,
    ) -> IKResult:
        """Damped-least-squares IK for the tool point (and the finger axis, if `approach` is a
        direction). Only joints in `active` move (default: all but wrist roll, which a
        top-down grasp sets directly); limits are respected by clamping."""
        q0 = np.asarray(initial_radians, dtype=np.float64)
        q = q0[:5].copy()
        target = np.asarray(target_position, dtype=np.float64)
        want = None if approach is None else np.asarray(approach, float) / np.linalg.norm(approach)
        cols = np.array(active)
        pos_err = tilt = float("inf")
        for _ in range(iterations):
            self._set(q)
            pose = self._tool(tool_point)
            err = target - pose.position
            pos_err = float(np.linalg.norm(err))
            mujoco.mj_jac(
                self._model, self._data, self._jacp, self._jacr, pose.position, self._tool_body
            )
            rows = [self._jacp[:, self._dof[cols]]]
            residual = [err]
            tilt = 0.0
            if want is not None:
                axis = pose.rotation @ FINGER_AXIS
                rot_err = np.cross(axis, want)  # small-angle rotation taking axis to want
                tilt = float(np.arccos(np.clip(axis @ want, -1.0, 1.0)))
                rows.append(orientation_weight * self._jacr[:, self._dof[cols]])
                residual.append(orientation_weight * rot_err)
            if pos_err < tolerance and tilt < 0.02:
                break
            jac = np.vstack(rows)
            res = np.concatenate(residual)
            dq = jac.T @ np.linalg.solve(jac @ jac.T + damping**2 * np.eye(len(res)), res)
            q[cols] = np.clip(q[cols] + dq, self.lower[cols], self.upper[cols])
        out = q0.copy() if q0.shape == (6,) else np.concatenate([q0, [0.0]])
        out[:5] = q
        return IKResult(out, pos_err, tilt, pos_err < 5 * tolerance and tilt < 0.05)
