"""What a policy server serves: one `Policy` per client connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class Policy(Protocol):
    @property
    def metadata(self) -> Mapping[str, Any]:
        """Sent to the client on connect (OpenPI: a msgpack map). Keys we understand:
        `action_dim`, `chunk_size`, `joint_names`, `send_images` (bool), `image_size`
        ([height, width]), `privileged` (bool: wants the sim's scene facts), `name`,
        `action_alignment` ("observation": action j is for the j-th tick after the
        observation, the default; "continuation": the chunk continues the previous one)."""
        ...

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        """Observation in, {"actions": (T, action_dim) float array} out."""
        ...


PolicyFactory = Callable[[], Policy]
