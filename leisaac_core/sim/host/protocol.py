"""Messages between the env proxy and the env host process.

Small tuples pickled by `multiprocessing.connection` over a private socketpair between two
processes of this program (never a network peer). Camera images never travel here: they
go through shared memory (`frames.py`); replies carry only state, success and info.

proxy -> host                           host -> proxy
("build", EnvConfig)                    ("ready", EnvDescription) | ("error", kind, message)
("segment", id, size) + fd              (nothing)
("reset", seed, {camera: Slot})         ("step", state, success, info) | ("error", kind, message)
("step", action, {camera: Slot})        same
("close",)                              ("closed",)
"""

from __future__ import annotations

from dataclasses import dataclass

from leisaac_core.sim.base import CameraSpec

# Error kinds the host reports; the proxy raises the same exception type.
ERROR_VALUE = "value"  # bad input (an action of the wrong shape): ValueError
ERROR_ENV = "env"  # the backend failed: EnvError


@dataclass(frozen=True)
class EnvDescription:
    """The `Env` protocol's descriptive properties, fixed for the env's lifetime."""

    task_name: str
    task_text: str
    cameras: tuple[CameraSpec, ...]
    joint_names: tuple[str, ...]
    fps: int
    robot_type: str
    backend: str
