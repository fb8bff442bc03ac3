"""The contract every simulation backend fulfils.

The session's worker thread is the only caller: backends may keep thread-affine resources
(an EGL context, an Isaac Sim app) created on first use inside that thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class CameraSpec:
    name: str
    height: int
    width: int


@dataclass(frozen=True)
class Step:
    """What one control tick produced.

    `state` is float32 (n_joints,) in LeRobot normalized units. `images` maps camera name to
    a uint8 (H, W, 3) array that the backend never mutates again, so the recorder and the
    preview may keep a reference without copying. `success` is the task's rule evaluated on
    this tick. `info` carries privileged scene facts (object positions, joint radians) for
    scripted demonstrators and QC; it is never recorded as an observation.
    """

    state: np.ndarray
    images: Mapping[str, np.ndarray]
    success: bool
    info: Mapping[str, Any] = field(default_factory=dict)


class EnvError(RuntimeError):
    """A backend failed in a way the session should report and recover from."""


@runtime_checkable
class Env(Protocol):
    @property
    def task_name(self) -> str: ...

    @property
    def task_text(self) -> str:
        """The natural-language task stored with every episode."""
        ...

    @property
    def cameras(self) -> tuple[CameraSpec, ...]: ...

    @property
    def joint_names(self) -> tuple[str, ...]:
        """Feature names of state and action, e.g. ('shoulder_pan.pos', ...)."""
        ...

    @property
    def fps(self) -> int: ...

    @property
    def robot_type(self) -> str: ...

    @property
    def backend(self) -> str: ...

    def reset(self, seed: int | None = None) -> Step: ...

    def step(self, action: np.ndarray) -> Step:
        """Apply joint targets (normalized units, float (n_joints,)) for one control period."""
        ...

    def close(self) -> None: ...
