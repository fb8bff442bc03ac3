"""One scripted two-arm fold of the flex cloth in bench/cloth.py's scene, and what came of it.

Each arm grips the far corner on its side: the fingers point away from the base, tilted
TILT_DEG below horizontal, the wrist rolled so the closing axis is as near vertical as it
gets (the fixed jaw under the cloth edge: the arm passes through the table, the cloth does
not), then closes, lifts, carries the corner over the near corner on its side, lowers, lets
go and rests. Motions are joint-space blends between IK solutions (kinematics.py), run at
30 Hz with the physics step of the measured rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from cloth import SCENE, _model, mujoco

from leisaac_core import so101
from leisaac_core.kinematics import CLOSING_AXIS, FIXED_JAW_FACE, SO101Kinematics

TILT_DEG = 70.0  # fingers below horizontal; flatter poses are out of the SO-101's reach here
INSET_M = 0.02  # the grip point, in from the corner
TIMESTEP = 1 / 30 / 7
RULE_DISTANCE_M = 0.10  # LeIsaac's cloth_folded default threshold
LIFTED_M = 0.03  # a gripped corner that rose this far off the table was held


def fold_attempt(seed: int, grid: int) -> dict[str, Any]:
    rng = np.random.default_rng([seed, 0xC107])
    shift = tuple(float(v) for v in rng.uniform(-0.015, 0.015, 2))
    yaw = float(rng.uniform(-5.0, 5.0))
    model, data = _model(grid, TIMESTEP, 64, 48, shift=shift, yaw_deg=yaw)
    fold = _Fold(model, data)
    rise, distances = fold.run()
    at_rest = so101.at_rest(data.qpos[fold.qadr])
    return {
        "seed": seed,
        "shift_m": shift,
        "yaw_deg": yaw,
        "corner_rise_m": rise,
        "grip_held": bool(min(rise) > LIFTED_M),
        "distances_m": distances,
        "arms_at_rest": bool(at_rest),
        "rule_holds": bool(at_rest and max(distances) < RULE_DISTANCE_M),
        "stable": bool(np.all(np.isfinite(data.qpos))),
    }


class _Fold:
    def __init__(self, model: Any, data: Any) -> None:
        self.model, self.data = model, data
        names = [a.prefix + j for a in SCENE.arms for j in so101.JOINTS]
        self.act = np.array(
            [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_ACTUATOR, n) for n in names]
        )
        self.qadr = np.array(
            [
                model.jnt_qposadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n)]
                for n in names
            ]
        )
        self.bases = {a.name: np.array(a.base) for a in SCENE.arms}
        self.kin = SO101Kinematics()
        self.tool = FIXED_JAW_FACE + 0.003 * CLOSING_AXIS
        self.substeps = round(1 / 30 / TIMESTEP)
        self.v0, self.nv = int(model.flex_vertadr[0]), int(model.flex_vertnum[0])
        self.cmd = so101.rest_pose_radians(2)

    def verts(self) -> np.ndarray:
        return self.data.flexvert_xpos[self.v0 : self.v0 + self.nv].copy()

    def _ik(self, point: np.ndarray, q: np.ndarray) -> np.ndarray:
        heading = np.array([point[0], point[1], 0.0])
        heading /= np.linalg.norm(heading)
        tilt = math.radians(TILT_DEG)
        approach = math.cos(tilt) * heading + np.array([0.0, 0.0, -math.sin(tilt)])
        q = self.kin.ik(
            point, q, approach=approach, tool_point=self.tool, iterations=100
        ).joint_radians

        def closing_up(roll: float) -> float:
            return float((self.kin.fk(np.r_[q[:4], roll, q[5]]).rotation @ CLOSING_AXIS)[2])

        q[4] = max(np.linspace(-math.pi, math.pi, 73), key=closing_up)
        return self.kin.ik(
            point, q, approach=approach, tool_point=self.tool, iterations=100
        ).joint_radians

    def _targets(self, points: dict[str, np.ndarray], grip_deg: float) -> np.ndarray:
        out = self.cmd.copy()
        for k, arm in enumerate(("left", "right")):
            q = self._ik(points[arm] - self.bases[arm], out[6 * k : 6 * k + 6])
            q[5] = math.radians(grip_deg)
            out[6 * k : 6 * k + 6] = q
        return out

    def _move(self, target: np.ndarray, ticks: int, watch: tuple[int, ...] = ()) -> list[float]:
        """Blend to `target` over `ticks`; the highest each `watch` vertex rose meanwhile."""
        start, highest = self.cmd.copy(), np.zeros(len(watch))
        for i in range(1, ticks + 1):
            self.cmd = start + (target - start) * (0.5 - 0.5 * math.cos(math.pi * i / ticks))
            self.data.ctrl[self.act] = self.cmd
            mujoco.mj_step(self.model, self.data, nstep=self.substeps)
            if watch:
                highest = np.maximum(highest, self.verts()[list(watch), 2])
        return [float(h) for h in highest]

    def _grip(self, degrees: float, ticks: int) -> None:
        target = self.cmd.copy()
        target[5] = target[11] = math.radians(degrees)
        self._move(target, ticks)

    def run(self) -> tuple[list[float], list[float]]:
        self._move(self.cmd, 20)  # the cloth settles
        p = self.verts()

        def corner(sx: float, sy: float) -> int:
            return int(np.argmax(sx * p[:, 0] + sy * p[:, 1]))

        far = {"left": corner(1, 1), "right": corner(1, -1)}
        near = {"left": corner(-1, 1), "right": corner(-1, -1)}
        grip = {k: p[i] - np.array([INSET_M, 0.0, 0.0]) for k, i in far.items()}
        grip = {k: np.array([v[0], v[1], 0.003]) for k, v in grip.items()}
        out = {k: v + np.array([0.04, 0.0, 0.04]) for k, v in grip.items()}
        self._move(self._targets(out, 60), 45)
        self._move(
            self._targets({k: v + np.array([0.04, 0.0, 0.0]) for k, v in grip.items()}, 60), 30
        )
        self._move(self._targets(grip, 60), 30)
        self._grip(-10, 20)
        up = {k: v + np.array([0.0, 0.0, 0.08]) for k, v in grip.items()}
        watch = (far["left"], far["right"])
        rise = self._move(self._targets(up, -10), 30, watch)
        drop = {k: self.verts()[i] + np.array([INSET_M, 0.0, 0.0]) for k, i in near.items()}
        mid = {k: np.array([(grip[k][0] + drop[k][0]) / 2, grip[k][1], 0.12]) for k in grip}
        rise = [
            max(a, b)
            for a, b in zip(rise, self._move(self._targets(mid, -10), 30, watch), strict=True)
        ]
        self._move(
            self._targets({k: np.array([v[0], v[1], 0.05]) for k, v in drop.items()}, -10), 30
        )
        self._move(
            self._targets({k: np.array([v[0], v[1], 0.012]) for k, v in drop.items()}, -10), 20
        )
        self._grip(40, 15)
        self._move(
            self._targets({k: np.array([v[0], v[1], 0.07]) for k, v in drop.items()}, 40), 20
        )
        self._move(so101.rest_pose_radians(2), 45)
        self._move(self.cmd, 30)
        p = self.verts()
        distances = [float(np.linalg.norm(p[far[k]] - p[near[k]])) for k in ("left", "right")]
        return rise, distances
