"""The scripted demonstrator behind the policy protocol (`policy serve --expert scripted`).

It needs the sim's scene facts (joint radians, object positions), so its metadata asks for
them (`privileged`), and no camera images. One demonstrator per connection; it re-plans
when an observation carries `episode_start`. A chunk is the next `chunk_size` ticks of its
plan, computed from the one observation the client sent; the client appends it to what it
has queued (`action_alignment: continuation`). The demonstrator is a closed-loop
controller, so a chunk ends right before an action that would look at the observation (a
settle or grasp check, a tracked descent): those parts of the plan run on fresh
observations, and only open-loop moves go out as full chunks. In lockstep the remote expert
is then the in-process demonstrator action for action, whatever the chunk size. (It used to
end a chunk right after such an action, which had already decided on the chunk's first,
stale observation: a missed grasp looked like a held cube, and episodes the in-process
demonstrator solved by regrasping timed out.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from leisaac_core.dataset.identity import get_identity
from leisaac_core.sim import info
from leisaac_core.sim.base import Step
from leisaac_core.teleop.scripted.config import ScriptedDeviceConfig
from leisaac_core.teleop.scripted.scripted import ScriptedDevice

# Scene facts a client sends where its env has them (two arms' bases, object headings).
_OPTIONAL_FACTS = (info.ARM_BASES, info.ARM_BASE_QUATS, info.OBJECT_QUATS)


def _arrays(values: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {str(k): np.asarray(v, dtype=np.float64) for k, v in dict(values).items()}


@dataclass(frozen=True)
class _TaskRef:
    """What the demonstrator's connect() reads from an env."""

    task_name: str
    fps: int


class ExpertPolicy:
    def __init__(self, chunk_size: int = 10, config: ScriptedDeviceConfig | None = None) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk size must be >= 1, got {chunk_size}")
        self.chunk_size = chunk_size
        self._config = config or ScriptedDeviceConfig()
        self._device: ScriptedDevice | None = None

    @property
    def metadata(self) -> Mapping[str, Any]:
        return {
            "name": "leisaac-expert-scripted",
            # 6 joint targets per arm of whatever task the client runs: no fixed size.
            "action_dim": None,
            "chunk_size": self.chunk_size,
            "send_images": False,
            "privileged": True,
            # Each chunk continues the plan where the previous one ended.
            "action_alignment": "continuation",
        }

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        facts = observation.get("privileged")
        if not isinstance(facts, Mapping):
            raise ValueError(
                "the scripted expert needs the sim's scene facts ('privileged' in the "
                "observation); only the dashboard's policy device sends them"
            )
        if self._device is None or bool(observation.get("episode_start", False)):
            self._device = ScriptedDevice(self._config)
            self._device.connect(_TaskRef(str(facts["task_name"]), int(facts["fps"])))  # type: ignore[arg-type]
            seed = facts.get("seed")
            self._device.reset(None if seed is None else int(seed))
        # Joint values come and go in the client's robot identity (older clients: env units).
        identity = get_identity(str(facts.get("identity", "leisaac")))
        step = Step(
            state=identity.from_dataset(np.asarray(observation["observation.state"])),
            images={},
            success=bool(facts.get("success", False)),
            info={
                "joint_radians": np.asarray(facts["joint_radians"], dtype=np.float64),
                "object_positions": _arrays(facts["object_positions"]),
                "robot_base": np.asarray(facts.get("robot_base", np.zeros(3)), dtype=np.float64),
                **{key: _arrays(facts[key]) for key in _OPTIONAL_FACTS if key in facts},
            },
        )
        actions = [self._device.read(step)]
        while len(actions) < self.chunk_size:
            action = self._device.read_ahead(step)
            if action is None:
                break  # the plan looks at the scene next: that waits for a fresh observation
            actions.append(action)
        return {"actions": identity.to_dataset(np.stack(actions))}
